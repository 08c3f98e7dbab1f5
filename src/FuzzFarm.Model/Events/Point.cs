namespace FuzzFarm.Model;

/// <summary>
/// The named steps of in-flight kernel calls. Each primitive a call executes is one of these; those marked as
/// preemption points (see <see cref="Points.IsPreemption"/>) are where a call can be stopped for other CPUs'
/// steps to run. Their text names (kernel spelling) are part of the trace format: append, never renumber.
/// </summary>
public enum Point : byte
{
    None = 0,
    SystemSupportsBbml2NoAbort,
    SystemCapabilitiesFinalized,
    CpuSupportsBbml2NoAbort,
    ForcePteMapping,
    CanSetDirectMap,
    IsKfenceAddress,
    IsRealmWorld,
    LinearMapRequiresBbml2,
    PageAllocAvailable,
    NumOnlineCpus,
    CpusReadTrylock,
    CpusReadLock,
    CpusReadUnlock,
    MutexLock,
    MutexUnlock,
    PgtableAlloc,
    SplitPud,
    SplitContPmd,
    SplitPmd,
    SplitContPte,
    RangeSplitToPtes,
    Walk,
    FlushTlb,
    RsiSetMemoryRange,
    CpusWriteLock,
    CpusWriteUnlock,
    SecondaryMmuOn,
    CheckLocalCpuCapabilities,
    SetCpuOnline,
    CpuDieEarly,
    SetCpuOffline,
    CpuMmuOff,

    // Non-preemptible primitives: logged for replay, never a place to stop.
    PudLeaf,
    PmdLeaf,
    PmdCont,
    PteCont,
    Warn,
    Oracle,
    LazyMmu,

    // Appended after the first release's points (never renumber): a plain read, logged for replay, not a stop.
    SlabIsAvailable,
}

/// <summary>Names and classes of <see cref="Point"/>.</summary>
public static class Points
{
    private static readonly string[] _names =
    [
        "none", "system_supports_bbml2_noabort", "system_capabilities_finalized", "cpu_supports_bbml2_noabort",
        "force_pte_mapping", "can_set_direct_map", "is_kfence_address", "is_realm_world", "linear_map_requires_bbml2",
        "page_alloc_available", "num_online_cpus", "cpus_read_trylock", "cpus_read_lock", "cpus_read_unlock",
        "mutex_lock", "mutex_unlock", "pgtable_alloc", "split_pud", "split_contpmd", "split_pmd", "split_contpte",
        "range_split_to_ptes", "walk", "flush_tlb", "rsi_set_memory_range", "cpus_write_lock", "cpus_write_unlock",
        "secondary_mmu_on", "check_local_cpu_capabilities", "set_cpu_online", "cpu_die_early", "set_cpu_offline",
        "cpu_mmu_off", "pud_leaf", "pmd_leaf", "pmd_cont", "pte_cont", "warn", "oracle", "lazy_mmu",
        "slab_is_available",
    ];

    public const int Count = (int)Point.SlabIsAvailable + 1;

    public static string Name(Point p) => _names[(int)p];

    public static bool IsPreemption(Point p) => p is > Point.None and < Point.PudLeaf;

    /// <summary>Points where a task may sleep: an atomic-context task is never parked there.</summary>
    public static bool IsSleeping(Point p) => p is Point.MutexLock or Point.PgtableAlloc;

    /// <summary>The primitive that takes a lock (where a task waiting for it stands).</summary>
    internal static Point LockPoint(LockId lockId) => lockId switch
    {
        LockId.SplitMutex => Point.MutexLock,
        LockId.HotplugRead => Point.CpusReadLock,
        LockId.HotplugWrite => Point.CpusWriteLock,
        _ => Point.None,
    };

    public static bool TryParse(string name, out Point point)
    {
        for (var i = 1; i < _names.Length; i++)
        {
            if (_names[i] == name && IsPreemption((Point)i))
            {
                point = (Point)i;
                return true;
            }
        }

        point = Point.None;
        return false;
    }

    /// <summary>The preemption points in enum order (for decoders and enumerators).</summary>
    public static ReadOnlySpan<Point> Preemptible => _preemptible;

    private static readonly Point[] _preemptible =
        Enumerable.Range(1, Count - 1).Select(i => (Point)i).Where(IsPreemption).ToArray();
}
