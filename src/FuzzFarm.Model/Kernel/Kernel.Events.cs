namespace FuzzFarm.Model;

/// <summary>Executing event programs: dispatch, end-of-program drain, and the per-run oracle record.</summary>
public sealed partial class Kernel
{
    private readonly Violation[] _violations = new Violation[MaxViolations];
    private int _violationCount;
    private Assumptions _assumptions;
    private int _eventIndex;
    private int _skipped;
    private IKernelObserver? _sink;

    /// <summary>Receives a readable timeline (CLI, reports); null on the hot path.</summary>
    public IKernelObserver? Observer
    {
        get => _sink;
        set => _sink = value;
    }

    public ReadOnlySpan<Violation> Violations => _violations.AsSpan(0, _violationCount);

    /// <summary>Every assumption the program has needed so far.</summary>
    public Assumptions AssumptionsUsed => _assumptions;

    /// <summary>Events that did nothing because the machine was not in a state to do them (counted, not errors).</summary>
    public int SkippedEvents => _skipped;

    internal bool IsGhost => _ghost;

    internal TaskSlot? CurrentTask => _cur;

    internal int EventIndex => _eventIndex;

    private void ResetOracle()
    {
        _violationCount = 0;
        _assumptions = Assumptions.None;
        _eventIndex = 0;
        _skipped = 0;
    }

    /// <summary>Records a violation where it happens (first occurrence per invariant, place and detail).</summary>
    internal void Report(Invariant invariant, Point where, string detail, int cpu = -1, TaskSlot? task = null)
    {
        var t = task ?? _cur;
        NoteActivity(_cur);
        var label = t?.Label ?? 0;
        if (cpu < 0) cpu = t?.Cpu ?? 0;
        for (var i = 0; i < _violationCount; i++)
        {
            ref var v = ref _violations[i];
            if (v.Invariant == invariant && v.Where == where && ReferenceEquals(v.Detail, detail)) return;
        }

        if (_violationCount == _violations.Length) return;
        var violation = new Violation(invariant, _eventIndex, where, detail, label, (byte)cpu, _assumptions);
        _violations[_violationCount++] = violation;
        _sink?.OnViolation(violation);
    }

    /// <summary>Runs events in order, then lets every in-flight call finish (the drain is event index N).</summary>
    internal void Execute(ReadOnlySpan<MachineEvent> events)
    {
        ExecuteEvents(events);
        Finish(events.Length);
    }

    /// <summary>Runs events in order without the final drain (the explorer hashes the state in between).</summary>
    internal void ExecuteEvents(ReadOnlySpan<MachineEvent> events, int firstIndex = 0)
    {
        for (var i = 0; i < events.Length; i++)
        {
            _eventIndex = firstIndex + i;
            _sink?.OnEvent(_eventIndex, events[i]);
            ExecuteEvent(in events[i]);
        }
    }

    /// <summary>The end of a program of <paramref name="length"/> events: every in-flight call runs to its end.</summary>
    internal void Finish(int length)
    {
        _eventIndex = length;
        _sink?.OnDrain(length);
        Drain();
        KfenceNotPteChecker.Check(this);
    }

    private void ExecuteEvent(in MachineEvent e)
    {
        switch (e.Kind)
        {
            case EventKind.Phase:
                if (e.Phase > _phase) AdvanceTo(e.Phase);
                else _skipped++;
                break;
            case EventKind.CpuUp:
                StartCpuTask(e, TaskKind.CpuUp);
                break;
            case EventKind.CpuDown:
                StartCpuTask(e, TaskKind.CpuDown);
                break;
            case EventKind.Call:
                StartCall(e);
                break;
            case EventKind.Step:
            case EventKind.Run:
                var t = SlotOfLabel(e.Task);
                if (t is null)
                {
                    _skipped++;
                    break;
                }

                RunSlot(t, e.Kind == EventKind.Run ? StopSpec.None : e.Stop.Kind == StopKind.None ? StopSpec.After(1) : e.Stop);
                break;
        }
    }

    private void StartCpuTask(in MachineEvent e, TaskKind kind)
    {
        var bit = 1UL << e.Cpu;
        var up = kind == TaskKind.CpuUp;
        var valid = e.Cpu != 0 && e.Cpu < _config.Cpus && _phase >= BootPhase.SmpInit && _labelSlot[e.Task] == LabelFree
            && (up ? (_mmuOn & bit) == 0 && !CpuTaskActive(e.Cpu) : (_online & bit) != 0 && !CpuTaskActive(e.Cpu));
        var t = valid ? AllocSlot(kind, e.Task) : null;
        if (t is null)
        {
            _skipped++;
            return;
        }

        t.Cpu = e.Cpu;
        t.BootTime = up && _phase < BootPhase.Finalize;
        if (t.BootTime) _inflightBootBringups++;
        if (_phase >= BootPhase.Finalize) _assumptions |= Assumptions.LateHotplug;
        _attempted |= bit;
        RunSlot(t, e.Stop);
    }

    /// <summary>A call outside the contract every kernel caller keeps (see <see cref="Assumptions.UncheckedCaller"/>).</summary>
    private bool IsUncheckedCall(in MachineEvent e)
    {
        if (e.Op == CallOp.KfenceInitLate) return false;
        var s = (ulong)e.Page * Units.PAGE_SIZE;
        var end = s + ((ulong)e.Pages * Units.PAGE_SIZE);
        if (OverlapsKalias(s, end)) return true;
        var ps = _config.KfencePoolOffset;
        var pe = ps + _config.KfencePoolSize;
        var inPool = _kfencePoolSet && s >= ps && end <= pe;
        if (_kfencePoolSet && s < pe && ps < end && !inPool) return true;
        return e.Op == CallOp.SetMemoryValid && !inPool && !EvaluateCanSetDirectMap();
    }

    private bool CpuTaskActive(int cpu)
    {
        foreach (var t in Slots)
        {
            if (t.IsActive && t.Cpu == cpu && t.Kind is TaskKind.CpuUp or TaskKind.CpuDown) return true;
        }

        return false;
    }

    private void StartCall(in MachineEvent e)
    {
        // KFENCE protects pages only once its pool is initialised.
        var kfenceOp = e.Op is CallOp.KfenceProtect or CallOp.KfenceUnprotect;
        var valid = e.Cpu < _config.Cpus && (_online & (1UL << e.Cpu)) != 0 && _labelSlot[e.Task] == LabelFree
            && _mapMemDone && (!kfenceOp || _kfenceReady);
        var t = valid ? AllocSlot(TaskKind.Call, e.Task) : null;
        if (t is null)
        {
            _skipped++;
            return;
        }

        t.Cpu = e.Cpu;
        t.Context = e.Context;
        t.Op = e.Op;
        t.Page = e.Page;
        t.Pages = e.Pages;
        t.Enable = e.Enable;
        _inflightCalls++;
        if (_phase < BootPhase.MemInit) _assumptions |= Assumptions.EarlyCaller;
        if (e.Context == CallContext.Atomic && e.Op is not (CallOp.KfenceProtect or CallOp.KfenceUnprotect or CallOp.KernelMapPages))
            _assumptions |= Assumptions.AtomicCaller;
        if (IsUncheckedCall(e)) _assumptions |= Assumptions.UncheckedCaller;
        RunSlot(t, e.Stop);
    }
}
