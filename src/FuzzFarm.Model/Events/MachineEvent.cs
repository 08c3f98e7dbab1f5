namespace FuzzFarm.Model;

/// <summary>What an event does.</summary>
public enum EventKind : byte
{
    /// <summary>Advance the boot through every phase up to <see cref="MachineEvent.Phase"/>.</summary>
    Phase,

    /// <summary>Start <c>_cpu_up(cpu)</c> as task <see cref="MachineEvent.Task"/> (smp_init during boot, hot-plug after).</summary>
    CpuUp,

    /// <summary>Start <c>_cpu_down(cpu)</c> (hot-unplug) as a task.</summary>
    CpuDown,

    /// <summary>Start a permission-change call as a task on a CPU, in a context.</summary>
    Call,

    /// <summary>Advance a task to its next preemption point (or to a named one).</summary>
    Step,

    /// <summary>Run a task until it returns or blocks on a lock.</summary>
    Run,
}

/// <summary>Where a started or stepped task stops. <c>None</c> runs to completion (or until it blocks).</summary>
public enum StopKind : byte
{
    None,

    /// <summary>Stop after the first new execution of <see cref="StopSpec.At"/>.</summary>
    AtPoint,

    /// <summary>Stop after <see cref="StopSpec.Count"/> preemption points.</summary>
    AfterCount,
}

/// <summary>A stop condition for <c>stop=</c> / <c>to=</c>.</summary>
public readonly record struct StopSpec(StopKind Kind, Point At, byte Count)
{
    public static readonly StopSpec None = default;

    public static StopSpec AtPoint(Point p) => new(StopKind.AtPoint, p, 0);

    public static StopSpec After(int count) => new(StopKind.AfterCount, Point.None, (byte)count);

    public override string ToString() => Kind switch
    {
        StopKind.AtPoint => Points.Name(At),
        StopKind.AfterCount => Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "",
    };
}

/// <summary>
/// One event of an <c>EventProgram</c>. A plain value (no references) so that a program executes without
/// allocating. Fields that an event kind does not use are zero. Addresses are page indexes into RAM.
/// </summary>
/// <param name="Kind">What the event does.</param>
/// <param name="Phase">For <see cref="EventKind.Phase"/>: the phase to reach.</param>
/// <param name="Task">Task label (1–255) for CpuUp/CpuDown/Call (defines it) and Step/Run (uses it).</param>
/// <param name="Cpu">The CPU a call runs on, or the CPU brought up or down.</param>
/// <param name="Op">For calls: the entry point.</param>
/// <param name="Context">For calls: task or atomic context.</param>
/// <param name="Page">For calls: first page (RAM offset / 4 KiB) of the range.</param>
/// <param name="Pages">For calls: number of pages.</param>
/// <param name="Enable">For set_memory_valid / set_direct_map_valid_noflush / __kernel_map_pages: the enable flag.</param>
/// <param name="Stop">For CpuUp/CpuDown/Call/Step: where to stop.</param>
public readonly record struct MachineEvent(
    EventKind Kind,
    BootPhase Phase = 0,
    byte Task = 0,
    byte Cpu = 0,
    CallOp Op = 0,
    CallContext Context = CallContext.Task,
    uint Page = 0,
    ushort Pages = 0,
    bool Enable = false,
    StopSpec Stop = default)
{
    public const int MaxTaskLabel = 255;
    public const int MaxPages = 4096;

    public static MachineEvent PhaseTo(BootPhase phase) => new(EventKind.Phase, Phase: phase);

    public static MachineEvent CpuUp(byte task, byte cpu, StopSpec stop = default) =>
        new(EventKind.CpuUp, Task: task, Cpu: cpu, Stop: stop);

    public static MachineEvent CpuDown(byte task, byte cpu, StopSpec stop = default) =>
        new(EventKind.CpuDown, Task: task, Cpu: cpu, Stop: stop);

    public static MachineEvent Call(
        byte task, byte cpu, CallContext ctx, CallOp op, uint page = 0, ushort pages = 1, bool enable = false,
        StopSpec stop = default) =>
        new(EventKind.Call, Task: task, Cpu: cpu, Op: op, Context: ctx, Page: page, Pages: pages, Enable: enable, Stop: stop);

    public static MachineEvent StepTask(byte task, StopSpec to = default) => new(EventKind.Step, Task: task, Stop: to);

    public static MachineEvent RunTask(byte task) => new(EventKind.Run, Task: task);

    /// <summary>True for events that start a new task.</summary>
    public bool StartsTask => Kind is EventKind.Call or EventKind.CpuUp or EventKind.CpuDown;
}
