namespace FuzzFarm.Model;

public sealed partial class Kernel
{
    private const int Neutral = 0;
    private const int LabelFree = -1;
    private const int LabelFinished = -2;
    private const int NoOwner = -1;

    /// <summary>Owner of a lock whose holder returned without releasing it: held by nobody, forever.</summary>
    private const int LeakedOwner = -2;

    private readonly TaskSlot[] _tasks = new TaskSlot[MaxTasks];
    private readonly int[] _labelSlot = new int[MachineEvent.MaxTaskLabel + 1];
    private long _startSeq;
    private int _slotCount; // slots [0, _slotCount) have been used since the reset
    private int _labelHigh; // highest label assigned since the reset: _labelSlot is LabelFree above it
    private int _inflightCalls;
    private int _inflightBootBringups;

    // The task whose body is executing, and where its replay stands.
    private TaskSlot? _cur;
    private int _replayPos;
    private bool _ghost;
    private StopSpec _stop;
    private int _pointsPassed;
    private int _depth;

    // Locks: the split mutex (owner slot), cpu_hotplug_lock (writer slot, reader and pending-writer masks). A lock
    // leaked by a returned task has owner LeakedOwner (readers: a count), so later takers block on it.
    private int _mutexOwner;
    private int _hotplugWriter;
    private ulong _hotplugReaders;
    private ulong _pendingWriters;
    private int _leakedReaders;

    // The machine hung at a phase boundary (smp_init() waits for a bring-up that can never finish): nothing advances.
    private bool _hung;

    private void ResetTasks()
    {
        foreach (var t in Slots) t.State = TaskState.Free;
        _slotCount = 0;
        Array.Fill(_labelSlot, LabelFree);
        _labelHigh = 0;
        _startSeq = 0;
        _inflightCalls = _inflightBootBringups = 0;
        _cur = null;
        _ghost = false;
        _depth = 0;
        _mutexOwner = _hotplugWriter = NoOwner;
        _hotplugReaders = _pendingWriters = 0;
        _leakedReaders = 0;
        _hung = false;
    }

    /// <summary>The CPU the current code runs on (the boot CPU for phase code).</summary>
    public int CurrentCpu => _cur?.Cpu ?? 0;

    /// <summary>The calling context of the current code.</summary>
    public CallContext CurrentContext => _cur?.Context ?? CallContext.Task;

    /// <summary>The slots used since the reset (every slot above them is free): loops over tasks stay short.</summary>
    private ReadOnlySpan<TaskSlot> Slots => new(_tasks, 0, _slotCount);

    private TaskSlot? AllocSlot(TaskKind kind, byte label)
    {
        foreach (var t in _tasks)
        {
            if (t.State is TaskState.Free or TaskState.Done or TaskState.Abandoned)
            {
                if (t.Index >= _slotCount) _slotCount = t.Index + 1;
                t.Start(kind, label, ++_startSeq);
                if (label != 0) _labelSlot[label] = t.Index;
                if (label > _labelHigh) _labelHigh = label;
                return t;
            }
        }

        return null;
    }

    private TaskSlot? SlotOfLabel(byte label)
    {
        var s = _labelSlot[label];
        return s >= 0 && _tasks[s].IsActive && _tasks[s].Label == label ? _tasks[s] : null;
    }

    /// <summary>
    /// Replay step of a primitive. Returns true when the value is already decided (logged, ghost, or the call is
    /// nested inside another primitive's evaluation and must run live without logging: then false).
    /// </summary>
    private bool Replayed(out long value)
    {
        value = Neutral;
        var t = _cur;
        if (t is null || _depth > 0) return false;
        if (_ghost) return true;
        if (_replayPos < t.LogCount)
        {
            value = t.Log[_replayPos++];
            return true;
        }

        return false;
    }

    /// <summary>
    /// While an observer hears of a finished task: the last primitive that task executed live (in this run or, when
    /// the run continues from a snapshot, before it).
    /// </summary>
    public Point DoneTaskLastPoint { get; private set; }

    /// <summary>Logs a primitive the current task has just executed live, and stops the task if its stop is met.</summary>
    private long Record(Point point, long value)
    {
        var t = _cur;
        if (t is null || _depth > 0) return value;
        if (t.LogCount == t.Log.Length) Array.Resize(ref t.Log, t.Log.Length * 2);
        t.Log[t.LogCount++] = value;
        _replayPos++;
        NoteActivity(t);
        t.LastPoint = point;
        _sink?.OnPrimitive(_eventIndex, t.Label, t.Cpu, point, value);
        // An atomic-context task is never parked at a point where it would sleep (it cannot sleep there).
        if (Points.IsPreemption(point) && !(t.Context == CallContext.Atomic && Points.IsSleeping(point)))
        {
            _pointsPassed++;
            if (StopReached(point)) _ghost = true;
        }

        return value;
    }

    private bool StopReached(Point point) => _stop.Kind switch
    {
        StopKind.None => false,
        StopKind.AtPoint => point == _stop.At,
        _ => _pointsPassed >= Math.Max((int)_stop.Count, 1),
    };

    /// <summary>The current task cannot take a lock: it waits there, and the rest of this run is a ghost.</summary>
    private void Block(LockId lockId)
    {
        var t = _cur!;
        NoteActivity(t);
        t.State = TaskState.Blocked;
        t.BlockedOn = lockId;
        if (lockId == LockId.HotplugWrite) _pendingWriters |= t.Bit;
        _ghost = true;
    }

    /// <summary>The current task cannot go on (a BUG in atomic context): it ends here and never returns.</summary>
    private void Die()
    {
        var t = _cur!;
        NoteActivity(t);
        t.Dead = true;
        _ghost = true;
    }

    /// <summary>Runs (or resumes) a task until its stop, a lock it cannot take, or its return.</summary>
    private void RunSlot(TaskSlot t, StopSpec stop)
    {
        if (!t.IsActive) return;
        _cur = t;
        _replayPos = 0;
        _ghost = false;
        _stop = stop;
        _pointsPassed = 0;
        t.SplitWarned = t.AliasFailed = false;
        t.State = TaskState.InFlight;
        t.BlockedOn = LockId.None;
        var ret = ExecuteBody(t);
        _cur = null;
        if (t.Dead) Abandon(t);
        else if (!_ghost) Complete(t, ret);
    }

    private int ExecuteBody(TaskSlot t) => t.Kind switch
    {
        TaskKind.CpuUp => CpuUpBody(t.Cpu),
        TaskKind.CpuDown => CpuDownBody(t.Cpu),
        _ => CallBody(t),
    };

    private void Complete(TaskSlot t, int ret)
    {
        t.State = TaskState.Done;
        t.Result = ret;
        if (t.Label != 0) _labelSlot[t.Label] = LabelFinished;
        if (t.IsPermCall) _inflightCalls--;
        if (t.Kind == TaskKind.CpuUp && t.BootTime) _inflightBootBringups--;
        LockOrderChecker.OnTaskReturn(this, t);
        LeakLocks(t);
        DoneTaskLastPoint = t.LastPoint;
        _sink?.OnTaskDone(_eventIndex, t.Label, t.Cpu, ret);
    }

    /// <summary>Locks a finished task still holds stay held, by nobody: later takers wait for them forever.</summary>
    private void LeakLocks(TaskSlot t)
    {
        if (_mutexOwner == t.Index) _mutexOwner = LeakedOwner;
        if (_hotplugWriter == t.Index) _hotplugWriter = LeakedOwner;
        if ((_hotplugReaders & t.Bit) != 0)
        {
            _hotplugReaders &= ~t.Bit;
            _leakedReaders++;
        }

        _pendingWriters &= ~t.Bit;
    }

    /// <summary>Runs a task to its return, first completing whoever holds the lock it waits for.</summary>
    private bool CompleteTask(TaskSlot t, int depth = 0)
    {
        for (var guard = 0; guard < 4 * MaxTasks && t.IsActive; guard++)
        {
            RunSlot(t, StopSpec.None);
            if (t.State != TaskState.Blocked) continue;
            var holder = HolderOf(t);
            if (holder is null || holder == t || depth > MaxTasks || !CompleteTask(holder, depth + 1))
            {
                HungTaskChecker.OnHung(this, t, leaked: holder is null);
                Abandon(t);
                return false;
            }
        }

        return t.State == TaskState.Done;
    }

    private TaskSlot? HolderOf(TaskSlot waiter)
    {
        switch (waiter.BlockedOn)
        {
            case LockId.SplitMutex:
                return _mutexOwner >= 0 ? _tasks[_mutexOwner] : null;
            case LockId.HotplugWrite:
                if (_hotplugWriter >= 0) return _tasks[_hotplugWriter];
                if (_hotplugWriter == LeakedOwner || _leakedReaders > 0) return null;
                return _hotplugReaders != 0 ? _tasks[LowestBit(_hotplugReaders)] : null;
            case LockId.HotplugRead:
                if (_hotplugWriter >= 0) return _tasks[_hotplugWriter];
                if (_hotplugWriter == LeakedOwner) return null;
                var pending = _pendingWriters & ~waiter.Bit;
                return pending != 0 ? _tasks[LowestBit(pending)] : null;
            default:
                return null;
        }
    }

    private void Abandon(TaskSlot t)
    {
        if (!t.IsActive) return;
        LeakLocks(t);
        t.State = TaskState.Abandoned;
        if (t.Label != 0) _labelSlot[t.Label] = LabelFinished;
        if (t.IsPermCall) _inflightCalls--;
        if (t.Kind == TaskKind.CpuUp && t.BootTime) _inflightBootBringups--;
    }

    /// <summary>Completes every task still in flight, oldest first (the kernel eventually runs them all).</summary>
    private void Drain()
    {
        while (NextActiveAfter(long.MinValue) is { } oldest)
        {
            if (!CompleteTask(oldest)) Abandon(oldest);
        }
    }

    /// <summary>
    /// A phase that waits for the bring-ups and tear-downs in flight (smp_cpus_done(), stop_machine()): they run to
    /// their end, and whoever holds what they wait for runs first. False when one can never finish: the machine hangs.
    /// </summary>
    private bool WaitForHotplug()
    {
        foreach (var t in Slots)
        {
            if (t.IsActive && t.Kind is TaskKind.CpuUp or TaskKind.CpuDown && !CompleteTask(t)) return false;
        }

        return true;
    }

    /// <summary>Labels the environment assumptions an activity of task <paramref name="t"/> needs right now.</summary>
    private void NoteActivity(TaskSlot? t)
    {
        var otherCalls = _inflightCalls - (t is not null && t.IsPermCall ? 1 : 0);
        if (otherCalls > 0) _assumptions |= Assumptions.PreemptedCall;
        if (_phase >= BootPhase.Repaint || t is null) return;

        // smp_init() runs from the first secondary bring-up through smp_cpus_done() (FINALIZE and the repaint);
        // no task but smp_init's own changes permissions then (CM-0407a).
        var smpInitRunning = (_phase == BootPhase.SmpInit && (_attempted & ~1UL) != 0) || _phase == BootPhase.Finalize;
        if (t.IsPermCall && (_inflightBootBringups > 0 || smpInitRunning)) _assumptions |= Assumptions.AsyncDuringSmp;
        else if (t.Kind == TaskKind.CpuUp && otherCalls > 0) _assumptions |= Assumptions.AsyncDuringSmp;
    }
}
