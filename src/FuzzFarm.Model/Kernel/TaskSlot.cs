namespace FuzzFarm.Model;

/// <summary>What a task runs.</summary>
public enum TaskKind : byte
{
    Call,
    CpuUp,
    CpuDown,

    /// <summary>A call the kernel itself makes at a boot phase (swiotlb decrypt, KFENCE early init).</summary>
    Implicit,
}

/// <summary>Life cycle of a task.</summary>
public enum TaskState : byte
{
    Free,
    InFlight,
    Blocked,
    Done,
    Abandoned,
}

/// <summary>A lock a task can wait for.</summary>
public enum LockId : byte
{
    None,
    SplitMutex,
    HotplugRead,
    HotplugWrite,
}

/// <summary>One in-flight kernel call: its arguments, its primitive log, and its scratch state.</summary>
internal sealed class TaskSlot
{
    public TaskSlot(int index)
    {
        Index = index;
        Bit = 1UL << index;
    }

    public int Index { get; }

    public ulong Bit { get; }

    public TaskState State;
    public TaskKind Kind;
    public byte Label;
    public byte Cpu;
    public CallContext Context;
    public CallOp Op;
    public uint Page;
    public ushort Pages;
    public bool Enable;
    public bool BootTime;
    public long StartSeq;
    public int Result;
    public LockId BlockedOn;

    public long[] Log = new long[256];
    public int LogCount;

    // Scratch state re-derived on every (re-)run of the body.
    public bool SplitWarned;
    public bool AliasFailed;

    /// <summary>The task hit a BUG it cannot continue from (schedule while atomic): it is abandoned, locks and all.</summary>
    public bool Dead;

    /// <summary>The model state when the call started (its guards' view), for the root cause's window.</summary>
    public ushort StartWindow;

    /// <summary>The last gating guard the call read and its answer (point &lt;&lt; 1 | value; 0: none yet).</summary>
    public ushort LastGuard;

    /// <summary>The last primitive the task executed live (model-state features name a return by it).</summary>
    public Point LastPoint;

    public bool IsPermCall => Kind == TaskKind.Call;

    public bool IsActive => State is TaskState.InFlight or TaskState.Blocked;

    public void Start(TaskKind kind, byte label, long seq)
    {
        State = TaskState.InFlight;
        Kind = kind;
        Label = label;
        StartSeq = seq;
        LogCount = 0;
        Result = 0;
        BlockedOn = LockId.None;
        Cpu = 0;
        Context = CallContext.Task;
        Op = 0;
        Page = 0;
        Pages = 0;
        Enable = false;
        BootTime = false;
        Dead = false;
        StartWindow = 0;
        LastGuard = 0;
        LastPoint = Point.None;
    }
}
