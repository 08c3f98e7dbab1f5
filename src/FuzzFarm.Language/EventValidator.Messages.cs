using System.Globalization;
using FuzzFarm.Model;

namespace FuzzFarm.Language;

public partial struct EventValidator
{
    /// <summary>
    /// The problem text for a violation of <paramref name="ev"/>, phrased with trace-format names. Call it before
    /// applying further events: messages quote the current phase.
    /// </summary>
    public readonly string Describe(EventViolation violation, in MachineEvent ev)
    {
        var m = Machine;
        var what = KindName(ev);
        var at = TraceNames.Phase(Phase);
        return violation switch
        {
            EventViolation.None => "no problem",
            EventViolation.TooManyEvents => $"too many events (at most {EventProgram.MaxEvents})",
            EventViolation.UnknownKind => $"unknown event kind {(int)ev.Kind}",
            EventViolation.UnusedField => $"{what}: a field this kind of event does not use is set",
            EventViolation.UnknownPhase => $"unknown phase {(int)ev.Phase}",
            EventViolation.PhaseOutOfOrder =>
                $"phase {TraceNames.Phase(ev.Phase)} is out of order: the machine is already at {at}",
            EventViolation.TaskLabelOutOfRange => $"task label t{ev.Task} is out of range t1..t{MachineEvent.MaxTaskLabel}",
            EventViolation.TaskAlreadyDefined => $"task t{ev.Task} is already defined",
            EventViolation.TaskUndefined => $"task t{ev.Task} is undefined",
            EventViolation.CpuOutOfRange => ev.Kind == EventKind.Call
                ? $"{what}: cpu {ev.Cpu} is out of range 0..{m.Cpus - 1}"
                : $"{what}: cpu {ev.Cpu} is out of range {CpuRange(m)}",
            EventViolation.CpuUpBeforeSmpInit => $"cpu-up needs phase smp-init (the machine is at {at})",
            EventViolation.CpuDownBeforeFinalize => $"cpu-down needs phase finalize (the machine is at {at})",
            EventViolation.SecondaryCallBeforeSmpInit =>
                $"{what}: cpu {ev.Cpu} is not up before smp-init (the machine is at {at}); use cpu=0",
            EventViolation.UnknownOp => $"unknown operation {(int)ev.Op}",
            EventViolation.UnknownContext => $"unknown call context {(int)ev.Context}",
            EventViolation.PagesOutOfRange => $"{what}: pages={ev.Pages} is out of range 1..{MachineEvent.MaxPages}",
            EventViolation.OutsideRam =>
                $"{what}: range {Address(ev.Page)} + {ev.Pages} pages is outside RAM ({Units.FormatSize(m.RamBytes + m.HotaddBytes)})",
            EventViolation.KfenceInitLateRange => "kfence_init_late takes no address and no page count",
            EventViolation.KfenceOff => $"{what} needs kfence=early or kfence=late (the machine has kfence=off)",
            EventViolation.OutsideKfencePool => $"{what}: address {Address(ev.Page)} is outside the KFENCE pool "
                + $"(ram+0x{m.KfencePoolOffset:x} + {Units.FormatSize(m.KfencePoolSize)})",
            EventViolation.SinglePageOnly => $"{what} works on one page (pages={ev.Pages})",
            EventViolation.KfenceNotLate => "kfence_init_late needs kfence=late",
            EventViolation.KfenceInitLateBeforeFinalize => $"kfence_init_late needs phase finalize (the machine is at {at})",
            EventViolation.DebugPageallocOff => "__kernel_map_pages needs dpa=on (debug_pagealloc)",
            EventViolation.KernelMapPagesBeforeMemblockFreeAll =>
                $"__kernel_map_pages needs phase memblock-free-all (the machine is at {at})",
            EventViolation.EnableNotAllowed =>
                $"{what} takes no enable flag (only set_memory_valid, set_direct_map_valid_noflush, __kernel_map_pages)",
            EventViolation.BadStop => $"{what}: bad stop condition {Stop(ev.Stop)}",
            EventViolation.StopNotAllowed => $"{what} takes no stop condition",
            EventViolation.GmemOff => $"{what} needs gmem=on (guest_memfd without direct map)",
            EventViolation.NotAFolio =>
                $"{what}: {Address(ev.Page)} + {ev.Pages} pages is not a folio (a power-of-two page count, aligned to its size)",
            EventViolation.HotaddOff => "arch_add_memory needs hotadd=SIZE (the machine has no hot-add RAM)",
            EventViolation.ArchAddMemoryRange => "arch_add_memory takes no address and no page count",
            EventViolation.ArchAddMemoryBeforeFinalize => $"arch_add_memory needs phase finalize (the machine is at {at})",
            EventViolation.ArchAddMemoryTwice => "arch_add_memory: the machine's hot-add RAM is already added",
            EventViolation.HotaddRamNotAdded =>
                $"{what}: range {Address(ev.Page)} + {ev.Pages} pages reaches the hot-add RAM before an arch_add_memory event",
            _ => $"violation {(int)violation}",
        };
    }

    private static string CpuRange(MachineConfig m) => m.Cpus < 2 ? "(the machine has one cpu)" : $"1..{m.Cpus - 1}";

    private static string Address(uint page) =>
        string.Create(CultureInfo.InvariantCulture, $"ram+0x{(ulong)page * Units.PAGE_SIZE:x}");

    private static string Stop(StopSpec stop) => string.Create(
        CultureInfo.InvariantCulture, $"(kind {(int)stop.Kind}, point {(int)stop.At}, count {stop.Count})");

    private static string KindName(in MachineEvent ev) => ev.Kind switch
    {
        EventKind.Phase => "phase",
        EventKind.CpuUp => "cpu-up",
        EventKind.CpuDown => "cpu-down",
        EventKind.Call => TraceNames.Op(ev.Op),
        EventKind.Step => "step",
        EventKind.Run => "run",
        _ => "event",
    };
}
