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
        var now = WindowNow();
        var window = (ushort)((t is null ? now : t.StartWindow) | (now << 6)
            | (t is not null && t.Context == CallContext.Atomic ? 1 << 12 : 0));
        var violation = new Violation(invariant, _eventIndex, where, detail, label, (byte)cpu, _assumptions, window, t?.LastGuard ?? 0);
        _violations[_violationCount++] = violation;
        _sink?.OnViolation(violation);
    }

    /// <summary>
    /// The window a root cause is judged in (6 bits): the boot stage (no page allocator yet, one CPU with the
    /// allocator, smp_init, FINALIZE/repaint, runtime), a CPU translating through the linear map while not online,
    /// more than one CPU online, a bring-up or tear-down holding cpu_hotplug_lock for write.
    /// </summary>
    private ushort WindowNow()
    {
        var stage = _phase switch
        {
            < BootPhase.MemInit => 0,
            < BootPhase.SmpInit => 1,
            BootPhase.SmpInit => 2,
            < BootPhase.Runtime => 3,
            _ => 4,
        };
        var translatingOffline = (TranslatingMask & ~_online) != 0;
        var multi = System.Numerics.BitOperations.PopCount(_online) > 1;
        return (ushort)(stage | (translatingOffline ? 8 : 0) | (multi ? 16 : 0) | (_hotplugWriter != NoOwner ? 32 : 0));
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
        KfenceNotPteChecker.Check(this, Point.None);
    }

    private void ExecuteEvent(in MachineEvent e)
    {
        if (_hung)
        {
            _skipped++;
            return;
        }

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

        // smp_init() brings up the boot CPUs only (the rest come by hot-plug after boot); FINALIZE and the repaint run
        // back to back in smp_cpus_done(), so nothing is plugged between them.
        var valid = e.Cpu != 0 && e.Cpu < _config.Cpus && _phase >= BootPhase.SmpInit && _phase != BootPhase.Finalize
            && _labelSlot[e.Task] == LabelFree && !CpuTaskActive(e.Cpu)
            && (up ? (_mmuOn & bit) == 0 && (_phase > BootPhase.Finalize || e.Cpu < _config.BootCpus) : (_online & bit) != 0);
        var t = valid ? AllocSlot(kind, e.Task) : null;
        if (t is null)
        {
            _skipped++;
            return;
        }

        t.Cpu = e.Cpu;
        t.BootTime = up && _phase < BootPhase.Finalize;
        if (t.BootTime) _inflightBootBringups++;
        _assumptions |= CallerCatalog.Hotplug(_phase);
        t.StartWindow = WindowNow();
        _attempted |= bit;
        RunSlot(t, e.Stop);
    }

    /// <summary>
    /// Whether the range is one a kernel caller of this op passes: KFENCE ops a page of the pool, every other op pages
    /// of the page allocator (never the kernel alias nor the KFENCE pool).
    /// </summary>
    private bool CallRangeOk(in MachineEvent e)
    {
        if (e.Op is CallOp.KfenceInitLate or CallOp.ArchAddMemory) return true;
        var s = (ulong)e.Page * Units.PAGE_SIZE;
        var end = s + ((ulong)e.Pages * Units.PAGE_SIZE);
        var ps = _config.KfencePoolOffset;
        var pe = ps + _config.KfencePoolSize;
        if (e.Op is CallOp.KfenceProtect or CallOp.KfenceUnprotect) return s >= ps && end <= pe;
        return !OverlapsKalias(s, end) && !(_config.Kfence != KfenceMode.Off && s < pe && ps < end) && end <= MappedRamEnd;
    }

    /// <summary>
    /// Memory that does not exist yet cannot be passed: a range reaching above the machine's RAM waits for the
    /// hot-added RAM to be mapped, and the machine's one hot-add happens once (a second add_memory() of the same range
    /// is refused before arch_add_memory()).
    /// </summary>
    private bool HotaddReady(in MachineEvent e)
    {
        if (e.Op == CallOp.ArchAddMemory) return _config.HotaddBytes != 0 && !_hotaddStarted;
        if (e.Op == CallOp.KfenceInitLate) return true;
        return (ulong)(e.Page + e.Pages) * Units.PAGE_SIZE <= MappedRamEnd;
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
            && _mapMemDone && (!kfenceOp || _kfenceReady) && HotaddReady(e);
        var t = valid ? AllocSlot(TaskKind.Call, e.Task) : null;
        if (t is null)
        {
            _skipped++;
            return;
        }

        if (e.Op == CallOp.ArchAddMemory) _hotaddStarted = true;
        t.Cpu = e.Cpu;
        t.Context = e.Context;
        t.Op = e.Op;
        t.Page = e.Page;
        t.Pages = e.Pages;
        t.Enable = e.Enable;
        _inflightCalls++;
        var needs = CallerCatalog.Classify(_callerTable, e.Op, _phase, e.Context, CallRangeOk(e), out var caller);
        if (needs == Assumptions.None) _callersUsed |= 1u << caller;
        _assumptions |= needs;
        t.StartWindow = WindowNow();
        RunSlot(t, e.Stop);
    }
}
