namespace FuzzFarm.Model;

/// <summary>
/// Invariants of a permission change as its caller sees it: walker-warn, perm-not-applied, perm-overreach,
/// realm-share-failed and unsplittable-request.
/// </summary>
internal static class PermissionChecker
{
    private const string PudEntry = "pageattr_pud_entry";
    private const string PmdEntry = "pageattr_pmd_entry";
    private const string AfterWalk = "walk returned 0 with pages unchanged";
    private const string AliasNotChanged = "linear alias left unchanged (error ignored)";
    private const string StalePublish = "split published a table with stale attributes";
    private const string EncDec = "__set_memory_enc_dec";
    private const string Swiotlb = "swiotlb_update_mem_attributes";
    private const string Unsplittable = "can_set_direct_map() on a range nobody may split now";

    public static void OnPartialBlock(Kernel k, Level level) =>
        k.Report(Invariant.WalkerWarn, Point.Walk, level == Level.Pud ? PudEntry : PmdEntry);

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

    /// <summary>A split must never change attributes: the table it publishes must match what is mapped now.</summary>
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

    public static void OnCallReturn(Kernel k, TaskSlot t, int ret)
    {
        if (k.IsGhost) return;
        if (t.Op is CallOp.SetMemoryDecrypted or CallOp.SetMemoryEncrypted && ret != 0)
            k.Report(Invariant.RealmShareFailed, Point.Oracle, EncDec);
        if (ret == 0 && t.AliasFailed) k.Report(Invariant.PermNotApplied, Point.Oracle, AliasNotChanged);
    }

    public static void OnRealmShareReturn(Kernel k, int ret)
    {
        if (!k.IsGhost && ret != 0) k.Report(Invariant.RealmShareFailed, Point.Oracle, Swiotlb);
    }

    /// <summary>Catalin's invariant (CM-0407b/c): a direct-map change only where someone may split it now.</summary>
    public static void OnRequest(Kernel k, ulong start, ulong end)
    {
        if (!k.IsLinearAddress(start)) return;
        var s = start - Units.PAGE_OFFSET;
        var e = Math.Min(end - Units.PAGE_OFFSET, k.Config.RamBytes);
        var c = k.Config;
        if (s < c.KaliasOffset + c.KaliasSize && c.KaliasOffset < e) return;
        if (!k.EvaluateCanSetDirectMap()) return;
        var requires = k.RequiresBbml2State;
        var ok = (requires && k.SystemBbml2)
            || LinearMapChecker.AllPte(k.Map, s, e)
            || (!k.Finalized && requires && System.Numerics.BitOperations.PopCount(k.MmuOnMask) == 1 && k.PageAllocAvailableState);
        if (!ok) k.Report(Invariant.UnsplittableRequest, Point.Oracle, Unsplittable);
    }
}
