namespace FuzzFarm.Model;

/// <summary>sleep-in-atomic: from P9 on, an atomic-context task never takes the mutex nor sleeps allocating.</summary>
/// <remarks>Before P9 the kernel is single-threaded in start_kernel (system_state BOOTING): no might_sleep checks.</remarks>
internal static class SleepInAtomicChecker
{
    private const string ScheduleWhileAtomic = "scheduling while atomic";

    public static void OnMightSleep(Kernel k, Point where)
    {
        if (k.CurrentContext == CallContext.Atomic && k.Phase >= BootPhase.SmpInit)
            k.Report(Invariant.SleepInAtomic, where, Points.Name(where));
    }

    /// <summary>An atomic task that would really sleep (a contended mutex): a BUG whatever the boot state.</summary>
    public static void OnScheduleWhileAtomic(Kernel k, Point where) => k.Report(Invariant.SleepInAtomic, where, ScheduleWhileAtomic);
}

/// <summary>alloc-before-page-allocator: no split allocates a table page before page_alloc_available.</summary>
internal static class AllocBeforePageAllocatorChecker
{
    public static void OnTableAlloc(Kernel k)
    {
        if (!k.PageAllocAvailableState) k.Report(Invariant.AllocBeforePageAllocator, Point.PgtableAlloc, "pgtable_alloc");
    }
}

/// <summary>split-warn: a blackout WARN fired (the guard's name is the detail), or update_range_prot()'s WARN_ON_ONCE.</summary>
internal static class SplitWarnChecker
{
    private const string UpdateRangeProt = "update_range_prot";

    public static void OnBlackoutWarn(Kernel k, string guard) => k.Report(Invariant.SplitWarn, Point.Warn, guard);

    /// <summary>update_range_prot()'s WARN_ON_ONCE(ret): reported unless the split already WARNed itself.</summary>
    public static void OnUpdateRangeProtWarn(Kernel k)
    {
        if (k.CurrentTask is { SplitWarned: true }) return;
        k.Report(Invariant.SplitWarn, Point.Warn, UpdateRangeProt);
    }
}

/// <summary>spurious-ebusy: a blackout -EBUSY or WARN only when start or end really cut through a leaf.</summary>
internal static class SpuriousEbusyChecker
{
    private const string NothingToSplit = "start and end were already leaf boundaries";

    public static void OnSplitReturn(Kernel k, ulong start, ulong end, int ret, bool warned)
    {
        if ((ret == -Units.EBUSY || warned) && !k.SplitNeeded(start, end))
            k.Report(Invariant.SpuriousEbusy, Point.Oracle, NothingToSplit);
    }
}
