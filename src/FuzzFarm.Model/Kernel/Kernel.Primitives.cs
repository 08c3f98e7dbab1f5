namespace FuzzFarm.Model;

/// <summary>The guard primitives a variant calls; each read is a preemption point named after the kernel helper.</summary>
public sealed partial class Kernel
{
    private bool Guard(Point point, bool live)
    {
        var value = Record(point, live ? 1 : 0) != 0;
        if (_cur is not null && _depth == 0) _guardCoverage?.Count(point, value); // what a call reads (as logged), not force_pte_mapping()'s insides
        return Decided(point, value);
    }

    private GuardCoverage? _guardCoverage;

    /// <summary>Where live guard reads are counted (null: not counted). Observation only; see <see cref="Model.GuardCoverage"/>.</summary>
    public GuardCoverage? GuardCoverage { get => _guardCoverage; set => _guardCoverage = value; }

    /// <summary>
    /// Notes a blackout or gating guard's answer as the running call's last decision (its guard path's end, part of a
    /// violation's root cause); replayed reads note it again, so a resumed call ends where it did.
    /// </summary>
    private bool Decided(Point point, bool value)
    {
        if (_cur is not null && _depth == 0) _cur.LastGuard = (ushort)(((int)point << 1) | (value ? 1 : 0));
        return value;
    }

    /// <summary>system_supports_bbml2_noabort(): the alternative-patched cap; false until FINALIZE.</summary>
    public bool SystemSupportsBbml2NoAbort() =>
        Replayed(out var v) ? Decided(Point.SystemSupportsBbml2NoAbort, v != 0) : Guard(Point.SystemSupportsBbml2NoAbort, _sysBbml2);

    /// <summary>system_capabilities_finalized(): flips with apply_alternatives_all() at FINALIZE.</summary>
    public bool SystemCapabilitiesFinalized() =>
        Replayed(out var v) ? Decided(Point.SystemCapabilitiesFinalized, v != 0) : Guard(Point.SystemCapabilitiesFinalized, _finalized);

    /// <summary>cpu_supports_bbml2_noabort(): the MIDR allow-list test on the <em>executing</em> CPU.</summary>
    public bool CpuSupportsBbml2NoAbort() =>
        Replayed(out var v) ? Decided(Point.CpuSupportsBbml2NoAbort, v != 0) : Guard(Point.CpuSupportsBbml2NoAbort, (_detectedMask & (1UL << CurrentCpu)) != 0);

    /// <summary>force_pte_mapping() of the running version, evaluated as one guard.</summary>
    public bool ForcePteMapping()
    {
        if (Replayed(out var v)) return Decided(Point.ForcePteMapping, v != 0);
        _depth++;
        var r = _variant.ForcePteMapping(this);
        _depth--;
        return Guard(Point.ForcePteMapping, r);
    }

    /// <summary>can_set_direct_map() of the running version, evaluated as one guard.</summary>
    public bool CanSetDirectMap() =>
        Replayed(out var v) ? Decided(Point.CanSetDirectMap, v != 0) : Guard(Point.CanSetDirectMap, EvaluateCanSetDirectMap());

    /// <summary>is_kfence_address(addr): inside the pool once __kfence_pool is set.</summary>
    public bool IsKfenceAddress(ulong addr)
    {
        if (Replayed(out var v)) return Decided(Point.IsKfenceAddress, v != 0);
        var inside = _kfencePoolSet && IsLinear(addr)
            && Off(addr) - _config.KfencePoolOffset < _config.KfencePoolSize && Off(addr) >= _config.KfencePoolOffset;
        return Guard(Point.IsKfenceAddress, inside);
    }

    /// <summary>is_realm_world(): true from arm64_rsi_init() (P3) in a realm guest.</summary>
    public bool IsRealmWorld() => Replayed(out var v) ? Decided(Point.IsRealmWorld, v != 0) : Guard(Point.IsRealmWorld, _isRealmWorld);

    /// <summary>linear_map_requires_bbml2 (set once by map_mem(); never cleared).</summary>
    public bool LinearMapRequiresBbml2 =>
        Replayed(out var v) ? Decided(Point.LinearMapRequiresBbml2, v != 0) : Guard(Point.LinearMapRequiresBbml2, _requiresBbml2);

    /// <summary>page_alloc_available (REALMv1/v2: set by the new arm64 mem_init()).</summary>
    public bool PageAllocAvailable =>
        Replayed(out var v) ? Decided(Point.PageAllocAvailable, v != 0) : Guard(Point.PageAllocAvailable, _pageAllocAvailable);

    /// <summary>
    /// slab_is_available(): true once kmem_cache_init() has run, right after arm64 mem_init() (page_alloc_available
    /// and the realm's swiotlb decrypt come first, P7). A plain read: logged so that a resumed call sees the value it
    /// saw, but not a place to stop (no shipped version reads it; the trace format has no stop of that name).
    /// </summary>
    public bool SlabIsAvailable() =>
        Replayed(out var v) ? Decided(Point.SlabIsAvailable, v != 0) : Guard(Point.SlabIsAvailable, _slabAvailable);

    /// <summary>num_online_cpus(): the online mask only; a CPU with its MMU on but not yet online is not counted.</summary>
    public int NumOnlineCpus() =>
        Replayed(out var v) ? Online(v) : OnlineLive(Record(Point.NumOnlineCpus, System.Numerics.BitOperations.PopCount(_online)));

    private int OnlineLive(long count)
    {
        if (_cur is not null && _depth == 0) _guardCoverage?.Count(Point.NumOnlineCpus, count > 1);
        return Online(count);
    }

    private int Online(long count)
    {
        Decided(Point.NumOnlineCpus, count > 1);
        return (int)count;
    }

    // ---- Early parameters and static keys: constant after boot, so not preemption points ----

    /// <summary>debug_pagealloc_enabled() (the early flag).</summary>
    public bool DebugPageallocEnabled() => _config.DebugPagealloc;

    /// <summary>rodata_full.</summary>
    public bool RodataFull => _config.RodataFull;

    /// <summary>arm64_kfence_can_set_direct_map(): CONFIG_KFENCE and not kfence_early_init.</summary>
    public bool Arm64KfenceCanSetDirectMap() => _config.Kfence != KfenceMode.Off && !_kfenceEarlyInit;

    /// <summary>kfence_early_init.</summary>
    public bool KfenceEarlyInit => _kfenceEarlyInit;

    /// <summary>__kfence_pool as a linear-map address.</summary>
    public ulong KfencePool => LmAddress(_config.KfencePoolOffset);

    /// <summary>KFENCE_POOL_SIZE.</summary>
    public ulong KfencePoolSize => _config.KfencePoolSize;

    // ---- Locks ----

    /// <summary>
    /// mutex_lock(&amp;lock): might_sleep(), then sleeps while another holds it. An atomic-context task cannot sleep:
    /// it is reported where it would, and it does not wait there as if it could (the BUG ends it).
    /// </summary>
    public void MutexLock(KernelMutex mutex)
    {
        CheckMutex(mutex);
        if (Replayed(out _)) return;
        if (_cur is null) throw new InvalidOperationException("mutex_lock outside a task");
        var self = _cur.Index;
        SleepInAtomicChecker.OnMightSleep(this, Point.MutexLock);
        if (_mutexOwner != NoOwner)
        {
            if (_mutexOwner == self) LockOrderChecker.OnRecursiveMutex(this, _cur);
            if (_cur.Context == CallContext.Atomic)
            {
                SleepInAtomicChecker.OnScheduleWhileAtomic(this, Point.MutexLock);
                Die();
                return;
            }

            Block(LockId.SplitMutex);
            return;
        }

        _mutexOwner = self;
        Record(Point.MutexLock, 1);
    }

    /// <summary>mutex_unlock(&amp;lock).</summary>
    public void MutexUnlock(KernelMutex mutex)
    {
        CheckMutex(mutex);
        if (Replayed(out _)) return;
        if (_cur is null || _mutexOwner != _cur.Index) LockOrderChecker.OnUnbalancedUnlock(this, "mutex_unlock by a non-owner");
        else _mutexOwner = NoOwner;
        Record(Point.MutexUnlock, 0);
    }

    private static void CheckMutex(KernelMutex mutex)
    {
        // The model has one sleeping mutex; a variant naming another is a modelling error, not a finding.
        if (!ReferenceEquals(mutex, KernelLocks.pgtable_split_lock))
            throw new ArgumentException($"the model has no mutex '{mutex}'", nameof(mutex));
    }

    /// <summary>cpus_read_trylock(): fails while a writer holds or waits for cpu_hotplug_lock.</summary>
    public bool CpusReadTrylock()
    {
        if (Replayed(out var v)) return Decided(Point.CpusReadTrylock, v != 0);
        LockOrderChecker.OnHotplugReadAcquire(this);
        var ok = _hotplugWriter == NoOwner && _pendingWriters == 0;
        if (ok && _cur is not null) _hotplugReaders |= _cur.Bit;
        return Guard(Point.CpusReadTrylock, ok);
    }

    /// <summary>cpus_read_lock(): waits for writers.</summary>
    public void CpusReadLock()
    {
        if (Replayed(out _)) return;
        LockOrderChecker.OnHotplugReadAcquire(this);
        if (_hotplugWriter != NoOwner || (_pendingWriters & ~(_cur?.Bit ?? 0)) != 0)
        {
            Block(LockId.HotplugRead);
            return;
        }

        if (_cur is not null) _hotplugReaders |= _cur.Bit;
        Record(Point.CpusReadLock, 1);
    }

    /// <summary>cpus_read_unlock().</summary>
    public void CpusReadUnlock()
    {
        if (Replayed(out _)) return;
        if (_cur is null || (_hotplugReaders & _cur.Bit) == 0) LockOrderChecker.OnUnbalancedUnlock(this, "cpus_read_unlock without the lock");
        else _hotplugReaders &= ~_cur.Bit;
        Record(Point.CpusReadUnlock, 0);
    }

    private void CpusWriteLock()
    {
        if (Replayed(out _)) return;
        var self = _cur!;
        if (_hotplugWriter != NoOwner || (_hotplugReaders & ~self.Bit) != 0 || _leakedReaders > 0)
        {
            Block(LockId.HotplugWrite);
            return;
        }

        _pendingWriters &= ~self.Bit;
        _hotplugWriter = self.Index;
        Record(Point.CpusWriteLock, 1);
    }

    private void CpusWriteUnlock()
    {
        if (Replayed(out _)) return;
        if (_hotplugWriter == _cur!.Index) _hotplugWriter = NoOwner;
        Record(Point.CpusWriteUnlock, 0);
    }

    /// <summary>WARN_ON(cond) inside split_kernel_leaf_mapping(): a blackout guard fired (reported as split-warn).</summary>
    public bool WarnOn(bool condition, string guard)
    {
        long v;
        if (!Replayed(out v))
        {
            v = condition ? 1 : 0;
            if (condition) SplitWarnChecker.OnBlackoutWarn(this, guard);
            Record(Point.Warn, v);
        }

        if (v != 0 && _cur is not null) _cur.SplitWarned = true;
        return v != 0;
    }

    /// <summary>Whether the current task holds pgtable_split_lock (for the lock checker).</summary>
    internal bool CurrentHoldsMutex => _cur is not null && _mutexOwner == _cur.Index;

    internal bool MutexHeld => _mutexOwner != NoOwner;

    /// <summary>No task holds or waits for any lock (true after every shipped variant's run).</summary>
    internal bool LocksFree => _mutexOwner == NoOwner && _hotplugWriter == NoOwner && _hotplugReaders == 0 && _pendingWriters == 0
        && _leakedReaders == 0;

    internal bool TaskHoldsLocks(TaskSlot t, out string which)
    {
        which = _mutexOwner == t.Index ? "pgtable_split_lock held at return"
            : (_hotplugReaders & t.Bit) != 0 ? "cpu_hotplug_lock (read) held at return"
            : _hotplugWriter == t.Index ? "cpu_hotplug_lock (write) held at return" : "";
        return which.Length != 0;
    }
}
