namespace FuzzFarm.Model;

/// <summary>
/// Invariants of split_kernel_leaf_mapping() as a function: sleep-in-atomic, alloc-before-page-allocator,
/// split-warn (a blackout WARN fired) and spurious-ebusy (a refusal when nothing needed splitting).
/// </summary>
internal static class SplitChecker
{
    private const string UpdateRangeProt = "update_range_prot";
    private const string NothingToSplit = "start and end were already leaf boundaries";

    /// <summary>might_sleep(): mutex_lock or a GFP_PGTABLE_KERNEL allocation.</summary>
    public static void OnMightSleep(Kernel k, Point where)
    {
        // Before smp_init the kernel runs single-threaded in start_kernel: sleep checks are off (system_state BOOTING).
        if (k.CurrentContext == CallContext.Atomic && k.Phase >= BootPhase.SmpInit)
            k.Report(Invariant.SleepInAtomic, where, Points.Name(where));
    }

    public static void OnTableAlloc(Kernel k)
    {
        if (!k.PageAllocAvailableState) k.Report(Invariant.AllocBeforePageAllocator, Point.PgtableAlloc, "pgtable_alloc");
    }

    public static void OnBlackoutWarn(Kernel k, string guard) => k.Report(Invariant.SplitWarn, Point.Warn, guard);

    /// <summary>update_range_prot()'s WARN_ON_ONCE(ret): reported unless the split already WARNed itself.</summary>
    public static void OnUpdateRangeProtWarn(Kernel k, int ret)
    {
        _ = ret;
        if (k.CurrentTask is { SplitWarned: true }) return;
        k.Report(Invariant.SplitWarn, Point.Warn, UpdateRangeProt);
    }

    public static void OnSplitReturn(Kernel k, ulong start, ulong end, int ret, bool warned)
    {
        if ((ret == -Units.EBUSY || warned) && !k.SplitNeeded(start, end))
            k.Report(Invariant.SpuriousEbusy, Point.Oracle, NothingToSplit);
    }
}
