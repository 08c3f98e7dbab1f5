using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// The events the explorer builds programs from, given the state a prefix left: phase advances to every later
/// phase; bring-up (before and after FINALIZE) and hot-unplug of each secondary CPU; each configured call on
/// each online CPU in each configured context; a step and a run of every task in flight. Starting events carry
/// an "after n points" stop template, which the explorer expands to every n until the task returns.
/// </summary>
public sealed class Alphabet
{
    /// <summary>Most preemption points one started task is stopped after (longer calls run on).</summary>
    public const int MaxStopPoints = 48;

    public Alphabet(int cpus, IReadOnlyList<CallTemplate> calls, IReadOnlyList<CallContext> contexts, int maxInFlight = 2)
    {
        if (maxInFlight < 1) throw new ArgumentOutOfRangeException(nameof(maxInFlight), maxInFlight, "at least one task must be able to stop");
        MaxInFlight = maxInFlight;
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(contexts);
        Cpus = cpus;
        RamPages = uint.MaxValue;
        Calls = calls;
        Contexts = contexts;
    }

    /// <summary>
    /// Preemption bound: a new task is started with a stop only while fewer than this many tasks are in flight
    /// (otherwise it runs to its end). CHESS's observation: most concurrency bugs need very few preempted tasks.
    /// </summary>
    public int MaxInFlight { get; }

    /// <summary>Pages of the machine's RAM: a call reaching above it waits for arch_add_memory (set by <see cref="Default"/>).</summary>
    public uint RamPages { get; init; }

    /// <summary>CPUs of the machine.</summary>
    public int Cpus { get; }

    /// <summary>The calls (operation, range, enable) the alphabet issues.</summary>
    public IReadOnlyList<CallTemplate> Calls { get; }

    public IReadOnlyList<CallContext> Contexts { get; }

    /// <summary>
    /// The default for a machine: set_memory_ro on one page inside a 2 MiB block outside the kernel alias (Z3's
    /// page when RAM allows), plus the operations the machine's options bring (KFENCE protect and late init,
    /// __kernel_map_pages, realm decrypt), from task and atomic context, at most two tasks in flight.
    /// </summary>
    public static Alphabet Default(MachineConfig machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var page = DefaultPage(machine);
        var calls = new List<CallTemplate> { new(CallOp.SetMemoryRo, page, 1, false) };
        if (machine.Kfence != KfenceMode.Off)
            calls.Add(new(CallOp.KfenceProtect, (uint)(machine.KfencePoolOffset / Units.PAGE_SIZE) + 1, 1, false));
        if (machine.Kfence == KfenceMode.Late) calls.Add(new(CallOp.KfenceInitLate, 0, 0, false));
        if (machine.DebugPagealloc) calls.Add(new(CallOp.KernelMapPages, page, 1, false));
        if (machine.Realm) calls.Add(new(CallOp.SetMemoryDecrypted, page, 1, false));

        // Revision-3 machine keys bring their callers; a machine without them keeps the alphabet it had.
        if (machine.GuestMemfd)
        {
            var folio = page - (page % ContPtePages); // a 64 KiB folio around the default page
            calls.Add(new(CallOp.GmemFolioZapDirectMap, folio, (ushort)ContPtePages, false));
            calls.Add(new(CallOp.GmemFolioRestoreDirectMap, folio, (ushort)ContPtePages, false));
        }

        if (machine.HotaddBytes != 0)
        {
            calls.Add(new(CallOp.ArchAddMemory, 0, 0, false));
            calls.Add(new(machine.Realm ? CallOp.SetMemoryDecrypted : CallOp.SetMemoryRo, HotaddPage(machine), 1, false));
        }

        return new Alphabet(machine.Cpus, calls, [CallContext.Task, CallContext.Atomic]) { RamPages = (uint)(machine.RamBytes / Units.PAGE_SIZE) };
    }

    /// <summary>One page inside a 2 MiB block, outside the kernel alias and the KFENCE pool.</summary>
    public static uint DefaultPage(MachineConfig machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        const ulong z3 = 0x4020_1000; // Z3's address: 1 GiB + 2 MiB + 4 KiB
        var offset = machine.RamBytes > z3 + Units.PMD_SIZE ? z3 : (8 * Units.PMD_SIZE) + Units.PAGE_SIZE;
        return (uint)(offset / Units.PAGE_SIZE);
    }

    private const uint ContPtePages = (uint)(Units.CONT_PTE_SIZE / Units.PAGE_SIZE);

    /// <summary>One page inside the first 2 MiB of the hot-add RAM (a block when it is block-mapped), not its first.</summary>
    public static uint HotaddPage(MachineConfig machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return (uint)((machine.RamBytes + Units.PMD_SIZE + Units.PAGE_SIZE) / Units.PAGE_SIZE);
    }

    /// <summary>A one-line description (printed with every result: a proof is relative to it).</summary>
    public string Describe() =>
        $"phase advances; cpu-up/cpu-down of each secondary; calls {string.Join(", ", Calls.Select(c => c.ToString()))} " +
        $"from {string.Join("/", Contexts.Select(c => c == CallContext.Task ? "task" : "atomic"))} on each online CPU; " +
        $"stops after 1..{MaxStopPoints} points while fewer than {MaxInFlight} tasks are in flight; step and run of every task in flight";

    /// <summary>The events that may follow a prefix that left <paramref name="state"/>; new tasks get <paramref name="label"/>.</summary>
    public List<MachineEvent> Events(StateSummary state, byte label)
    {
        var list = new List<MachineEvent>();
        Events(state, label, list);
        return list;
    }

    /// <summary>As <see cref="Events(StateSummary, byte)"/>, into a reused list (cleared first).</summary>
    public void Events(StateSummary state, byte label, List<MachineEvent> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        for (var p = state.Phase + 1; p <= BootPhase.Runtime; p++) into.Add(MachineEvent.PhaseTo(p));

        // A template: the explorer expands "after n points" to every n; at the preemption bound, no stop.
        var stop = state.Active.Length < MaxInFlight ? StopSpec.After(1) : StopSpec.None;
        var cpuTask = 0UL;
        foreach (var t in state.Active.Span)
        {
            if (t.Kind is TaskKind.CpuUp or TaskKind.CpuDown) cpuTask |= 1UL << t.Cpu;
        }

        if (state.Phase >= BootPhase.SmpInit)
        {
            for (var cpu = 1; cpu < Cpus; cpu++)
            {
                var bit = 1UL << cpu;
                if ((cpuTask & bit) != 0) continue;
                if ((state.MmuOn & bit) == 0) into.Add(MachineEvent.CpuUp(label, (byte)cpu, stop));
                else if ((state.Online & bit) != 0 && state.Phase >= BootPhase.Finalize) into.Add(MachineEvent.CpuDown(label, (byte)cpu, stop));
            }
        }

        if (state.Phase >= BootPhase.MapMem)
        {
            var online = state.Online;
            while (online != 0)
            {
                var cpu = (byte)System.Numerics.BitOperations.TrailingZeroCount(online);
                online &= online - 1;
                if (cpu != 0 && state.Phase < BootPhase.SmpInit) continue;
                foreach (var c in Calls)
                {
                    if (c.Op == CallOp.KfenceInitLate && (state.Phase < BootPhase.Finalize || cpu != 0)) continue;
                    if (c.Op == CallOp.KernelMapPages && state.Phase < BootPhase.MemblockFreeAll) continue;
                    if (c.Op == CallOp.ArchAddMemory && (state.Phase < BootPhase.Finalize || cpu != 0 || state.HotaddStarted)) continue;
                    if (c.Pages != 0 && c.Page + c.Pages > RamPages && !state.HotaddStarted) continue;
                    foreach (var ctx in Contexts)
                        into.Add(MachineEvent.Call(label, cpu, ctx, c.Op, c.Page, c.Pages, c.Enable, stop));
                }
            }
        }

        foreach (var t in state.Active.Span)
        {
            into.Add(MachineEvent.StepTask(t.Label));
            into.Add(MachineEvent.RunTask(t.Label));
        }
    }
}

/// <summary>One call of the alphabet: operation, first page, page count, enable flag.</summary>
public readonly record struct CallTemplate(CallOp Op, uint Page, ushort Pages, bool Enable)
{
    public override string ToString() => Op == CallOp.ArchAddMemory ? "arch_add_memory()" :
        $"{TraceNames.Op(Op)}(ram+0x{(ulong)Page * Units.PAGE_SIZE:x}{(Pages > 1 ? $", {Pages} pages" : "")}{(TraceNames.TakesEnable(Op) ? $", enable={(Enable ? 1 : 0)}" : "")})";
}
