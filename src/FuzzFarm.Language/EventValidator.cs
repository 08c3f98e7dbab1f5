using System.Runtime.CompilerServices;
using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>
/// The static rules of an event program, checked one event at a time against the events before it: boot order,
/// task labels, CPU ranges, address ranges and the per-operation preconditions. The text parser uses it to name
/// the offending line, <see cref="EventProgram.Validate"/> to name the offending event, and the binary decoder
/// to guarantee that every program it builds is valid.
/// </summary>
/// <remarks>
/// A mutable struct so that the decoder can use it without allocating: create it with the constructor (the
/// default value has no machine) and pass it by reference. <see cref="Check"/> never allocates; only
/// <see cref="Describe"/> builds text.
/// </remarks>
public partial struct EventValidator
{
    private readonly MachineConfig _machine;
    private readonly ulong _ramPages;
    private readonly ulong _hotaddPages;
    private LabelSet _labels;

    public EventValidator(MachineConfig machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        _machine = machine;
        _ramPages = machine.RamBytes / Units.PAGE_SIZE;
        _hotaddPages = machine.HotaddBytes / Units.PAGE_SIZE;
        Phase = BootPhase.EarlyParam;
    }

    /// <summary>The phase the machine has reached after the events accepted so far.</summary>
    public BootPhase Phase { get; private set; }

    /// <summary>Number of events accepted so far.</summary>
    public int Count { get; private set; }

    /// <summary>Number of task labels defined so far.</summary>
    public int TaskCount { get; private set; }

    /// <summary>An earlier event hot-added the machine's hotadd= RAM (<c>arch_add_memory</c>): ranges may reach into it.</summary>
    public bool HotaddCalled { get; private set; }

    public readonly MachineConfig Machine => _machine ?? throw new InvalidOperationException("EventValidator needs a machine");

    /// <summary>True when an earlier event started a task with this label.</summary>
    public readonly bool IsDefined(byte label) => (_labels[label >> 6] & (1UL << (label & 63))) != 0;

    /// <summary>Checks and, when valid, applies an event. Returns false (and changes nothing) when invalid.</summary>
    public bool TryAccept(in MachineEvent ev)
    {
        if (Check(ev) != EventViolation.None) return false;
        Apply(ev);
        return true;
    }

    /// <summary>Checks and, when valid, applies an event. Returns null, or the problem when invalid.</summary>
    public string? Accept(in MachineEvent ev)
    {
        var violation = Check(ev);
        if (violation != EventViolation.None) return Describe(violation, ev);
        Apply(ev);
        return null;
    }

    /// <summary>Records a checked event (phase reached, label defined). Call only after <see cref="Check"/> passed.</summary>
    public void Apply(in MachineEvent ev)
    {
        Count++;
        if (ev.Kind == EventKind.Phase) Phase = ev.Phase;
        if (ev.Kind == EventKind.Call && ev.Op == CallOp.ArchAddMemory) HotaddCalled = true;
        if (ev.StartsTask)
        {
            _labels[ev.Task >> 6] |= 1UL << (ev.Task & 63);
            TaskCount++;
        }
    }

    /// <summary>Whether <paramref name="ev"/> may follow the events accepted so far; never allocates.</summary>
    public readonly EventViolation Check(in MachineEvent ev)
    {
        _ = Machine; // a default(EventValidator) has no machine: fail loudly rather than with a null reference
        if (Count >= EventProgram.MaxEvents) return EventViolation.TooManyEvents;
        return ev.Kind switch
        {
            EventKind.Phase => CheckPhase(ev),
            EventKind.CpuUp or EventKind.CpuDown => CheckCpuEvent(ev),
            EventKind.Call => CheckCall(ev),
            EventKind.Step => ev != MachineEvent.StepTask(ev.Task, ev.Stop) ? EventViolation.UnusedField
                : CheckUse(ev.Task) is var use && use != EventViolation.None ? use : CheckStop(ev.Stop),
            EventKind.Run => ev.Stop != default ? EventViolation.StopNotAllowed
                : ev != MachineEvent.RunTask(ev.Task) ? EventViolation.UnusedField : CheckUse(ev.Task),
            _ => EventViolation.UnknownKind,
        };
    }

    private readonly EventViolation CheckPhase(in MachineEvent ev)
    {
        if (ev.Stop != default) return EventViolation.StopNotAllowed;
        if (ev != MachineEvent.PhaseTo(ev.Phase)) return EventViolation.UnusedField;
        if (!TraceNames.IsPhase(ev.Phase)) return EventViolation.UnknownPhase;
        return ev.Phase <= Phase ? EventViolation.PhaseOutOfOrder : EventViolation.None;
    }

    private readonly EventViolation CheckCpuEvent(in MachineEvent ev)
    {
        if (ev != new MachineEvent(ev.Kind, Task: ev.Task, Cpu: ev.Cpu, Stop: ev.Stop)) return EventViolation.UnusedField;
        var label = CheckDefine(ev.Task);
        if (label != EventViolation.None) return label;
        if (ev.Cpu == 0 || ev.Cpu >= _machine.Cpus) return EventViolation.CpuOutOfRange;
        if (ev.Kind == EventKind.CpuUp && Phase < BootPhase.SmpInit) return EventViolation.CpuUpBeforeSmpInit;
        if (ev.Kind == EventKind.CpuDown && Phase < BootPhase.Finalize) return EventViolation.CpuDownBeforeFinalize;
        return CheckStop(ev.Stop);
    }

    private readonly EventViolation CheckCall(in MachineEvent ev)
    {
        if (ev.Phase != 0) return EventViolation.UnusedField;
        if (!TraceNames.IsOp(ev.Op)) return EventViolation.UnknownOp;
        if (ev.Context is not (CallContext.Task or CallContext.Atomic)) return EventViolation.UnknownContext;
        var label = CheckDefine(ev.Task);
        if (label != EventViolation.None) return label;
        if (ev.Cpu >= _machine.Cpus) return EventViolation.CpuOutOfRange;
        if (ev.Cpu != 0 && Phase < BootPhase.SmpInit) return EventViolation.SecondaryCallBeforeSmpInit;
        var op = CheckOp(ev);
        if (op != EventViolation.None) return op;
        if (ev.Enable && !TraceNames.TakesEnable(ev.Op)) return EventViolation.EnableNotAllowed;
        return CheckStop(ev.Stop);
    }

    private readonly EventViolation CheckOp(in MachineEvent ev)
    {
        if (ev.Op == CallOp.KfenceInitLate)
        {
            if (ev.Page != 0 || ev.Pages != 0) return EventViolation.KfenceInitLateRange;
            if (_machine.Kfence != KfenceMode.Late) return EventViolation.KfenceNotLate;
            return Phase < BootPhase.Finalize ? EventViolation.KfenceInitLateBeforeFinalize : EventViolation.None;
        }

        if (ev.Op == CallOp.ArchAddMemory)
        {
            if (ev.Page != 0 || ev.Pages != 0) return EventViolation.ArchAddMemoryRange;
            if (_hotaddPages == 0) return EventViolation.HotaddOff;
            if (HotaddCalled) return EventViolation.ArchAddMemoryTwice;
            return Phase < BootPhase.Finalize ? EventViolation.ArchAddMemoryBeforeFinalize : EventViolation.None;
        }

        if (ev.Pages is 0 or > MachineEvent.MaxPages) return EventViolation.PagesOutOfRange;
        if ((ulong)ev.Page + ev.Pages > _ramPages + _hotaddPages) return EventViolation.OutsideRam;
        if ((ulong)ev.Page + ev.Pages > _ramPages && !HotaddCalled) return EventViolation.HotaddRamNotAdded;
        switch (ev.Op)
        {
            case CallOp.KfenceProtect or CallOp.KfenceUnprotect:
                if (_machine.Kfence == KfenceMode.Off) return EventViolation.KfenceOff;
                if (ev.Pages != 1) return EventViolation.SinglePageOnly;
                return InKfencePool(ev.Page) ? EventViolation.None : EventViolation.OutsideKfencePool;
            case CallOp.KernelMapPages:
                if (!_machine.DebugPagealloc) return EventViolation.DebugPageallocOff;
                return Phase < BootPhase.MemblockFreeAll
                    ? EventViolation.KernelMapPagesBeforeMemblockFreeAll : EventViolation.None;
            case CallOp.SetDirectMapInvalidNoflush or CallOp.SetDirectMapDefaultNoflush:
                return ev.Pages != 1 ? EventViolation.SinglePageOnly : EventViolation.None;
            case CallOp.GmemFolioZapDirectMap or CallOp.GmemFolioRestoreDirectMap:
                if (!_machine.GuestMemfd) return EventViolation.GmemOff;
                return IsFolio(ev.Page, ev.Pages) ? EventViolation.None : EventViolation.NotAFolio;
            default:
                return EventViolation.None;
        }
    }

    /// <summary>A folio: a power-of-two number of pages, naturally aligned (RAM starts 1 GiB-aligned, so offsets align as addresses do).</summary>
    public static bool IsFolio(uint page, ushort pages) => pages != 0 && (pages & (pages - 1)) == 0 && page % pages == 0;

    private readonly bool InKfencePool(uint page)
    {
        var offset = (ulong)page * Units.PAGE_SIZE;
        return offset >= _machine.KfencePoolOffset && offset - _machine.KfencePoolOffset < _machine.KfencePoolSize;
    }

    private readonly EventViolation CheckDefine(byte task) =>
        task == 0 ? EventViolation.TaskLabelOutOfRange
        : IsDefined(task) ? EventViolation.TaskAlreadyDefined : EventViolation.None;

    private readonly EventViolation CheckUse(byte task) =>
        task == 0 ? EventViolation.TaskLabelOutOfRange
        : IsDefined(task) ? EventViolation.None : EventViolation.TaskUndefined;

    private static EventViolation CheckStop(StopSpec stop) => stop.Kind switch
    {
        StopKind.None => stop == default ? EventViolation.None : EventViolation.BadStop,
        StopKind.AtPoint => Points.IsPreemption(stop.At) && stop.Count == 0 ? EventViolation.None : EventViolation.BadStop,
        StopKind.AfterCount => stop.At == Point.None && stop.Count >= 1 ? EventViolation.None : EventViolation.BadStop,
        _ => EventViolation.BadStop,
    };

    /// <summary>256 bits, one per task label; inline so that the validator stays a plain value.</summary>
    [InlineArray(4)]
    private struct LabelSet
    {
        private ulong _element0;
    }
}
