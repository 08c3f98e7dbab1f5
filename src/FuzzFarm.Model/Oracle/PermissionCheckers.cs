namespace FuzzFarm.Model;

/// <summary>walker-warn: the permission walk meets a PUD or PMD leaf only partly inside its range.</summary>
internal static class WalkerWarnChecker
{
    public static void OnPartialBlock(Kernel k, Level level) =>
        k.Report(Invariant.WalkerWarn, Point.Walk, level == Level.Pud ? "pageattr_pud_entry" : "pageattr_pmd_entry");
}

/// <summary>perm-not-applied: a walk (or a whole call) that returned 0 left its pages with the requested attributes.</summary>
internal static class PermNotAppliedChecker
{
    private const string AfterWalk = "walk returned 0 with pages unchanged";
    private const string AliasNotChanged = "linear alias left unchanged (error ignored)";

    public static void OnWalkApplied(Kernel k, ulong s, ulong e, Attr set, Attr clear)
    {
        var map = k.Map;
        for (var i = Math.Max(map.Find(s), 0); i < map.Count && map[i].Start < e; i++)
        {
            var a = map[i].Attrs;
            if ((a & set) != set || (a & clear) != 0)
            {
                k.Report(Invariant.PermNotApplied, Point.Walk, AfterWalk);
                return;
            }
        }
    }

    /// <summary>set_memory_ro/rw ignore the linear-alias calls' errors: returning 0 then breaks the promise.</summary>
    public static void OnCallReturn(Kernel k, TaskSlot t, int ret)
    {
        if (ret == 0 && t.AliasFailed) k.Report(Invariant.PermNotApplied, Point.Oracle, AliasNotChanged);
    }
}

/// <summary>perm-overreach: nothing but a walk over a page changes its attributes (a split must preserve them).</summary>
internal static class PermOverreachChecker
{
    private const string StalePublish = "split published a table with stale attributes";

    public static void OnSplitPublish(Kernel k, ulong s, ulong e, Attr attrs)
    {
        var map = k.Map;
        for (var i = Math.Max(map.Find(s), 0); i < map.Count && map[i].Start < e; i++)
        {
            if (map[i].Attrs != attrs)
            {
                k.Report(Invariant.PermOverreach, k.CurrentPoint, StalePublish);
                return;
            }
        }
    }
}

/// <summary>realm-share-failed: a realm set_memory_decrypted/encrypted (or the swiotlb decrypt) returned an error.</summary>
internal static class RealmShareFailedChecker
{
    public static void OnReturn(Kernel k, int ret, string caller)
    {
        if (ret != 0) k.Report(Invariant.RealmShareFailed, Point.Oracle, caller);
    }
}

/// <summary>
/// unsplittable-request (CM-0407b/c): a change with can_set_direct_map() on a non-alias range only when
/// (requires ∧ sys_bbml2) ∨ the range is PTE-mapped ∨ (¬finalized ∧ requires ∧ one CPU with MMU on ∧ page allocator).
/// </summary>
internal static class UnsplittableRequestChecker
{
    private const string Unsplittable = "can_set_direct_map() on a range nobody may split now";

    public static void OnRequest(Kernel k, ulong start, ulong end)
    {
        if (!k.IsLinearAddress(start)) return;
        var s = start - Units.PAGE_OFFSET;
        var e = Math.Min(end - Units.PAGE_OFFSET, k.Config.RamBytes);
        if (MapQueries.Overlaps(s, e, k.Config.KaliasOffset, k.Config.KaliasSize)) return;
        if (!k.EvaluateCanSetDirectMap()) return;
        var requires = k.RequiresBbml2State;
        var ok = (requires && k.SystemBbml2)
            || MapQueries.AllPte(k.Map, s, e)
            || (!k.Finalized && requires && System.Numerics.BitOperations.PopCount(k.MmuOnMask) == 1 && k.PageAllocAvailableState);
        if (!ok) k.Report(Invariant.UnsplittableRequest, Point.Oracle, Unsplittable);
    }
}
