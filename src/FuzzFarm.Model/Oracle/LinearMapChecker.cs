namespace FuzzFarm.Model;

/// <summary>
/// Invariants of the linear map itself: tlb-conflict (at every live resize), cont-inconsistent (after every
/// write), kfence-not-pte, dpa-not-pte and repaint-incomplete (at the phase that establishes them and after
/// every later write).
/// </summary>
internal static class LinearMapChecker
{
    private const string NonBbml2Translating = "a CPU without BBML2_NOABORT translates through swapper_pg_dir";
    private const string ContGroupBroken = "CONT group with differing entries";
    private const string PoolNotPte = "pool page in a block or CONT leaf";
    private const string RequiresSet = "linear_map_requires_bbml2 set with debug_pagealloc";
    private const string BlockLeaf = "block or CONT leaf outside the kernel alias";
    private const string BlockAfterRepaint = "block or CONT leaf outside the kernel alias after the repaint";

    /// <summary>A write changing the size or CONT bit of live leaves in [s, e) without break-before-make.</summary>
    public static void OnLiveResize(Kernel k, ulong s, ulong e, Point where)
    {
        if (!AnyValid(k.Map, s, e)) return;
        k.CountLiveResize();
        var bad = k.TranslatingMask & ~k.HardwareBbml2Mask;
        if (bad != 0) k.Report(Invariant.TlbConflict, where, NonBbml2Translating, System.Numerics.BitOperations.TrailingZeroCount(bad));
    }

    public static void AfterWrite(Kernel k, ulong s, ulong e)
    {
        var map = k.Map;
        var lo = s >= Units.CONT_PMD_SIZE ? s - Units.CONT_PMD_SIZE : 0;
        var i = Math.Max(map.Find(lo), 0);
        for (; i < map.Count && map[i].Start < e + Units.CONT_PMD_SIZE; i++)
        {
            ref readonly var r = ref map[i];
            if (r.Cont && (!Units.IsAligned(r.Start, Units.ContSize(r.Level)) || !Units.IsAligned(r.End, Units.ContSize(r.Level))))
            {
                k.Report(Invariant.ContInconsistent, k.CurrentPoint, ContGroupBroken);
                break;
            }
        }

        if (k.KfenceReady && Overlaps(s, e, k.Config.KfencePoolOffset, k.Config.KfencePoolSize)) OnKfenceReady(k);
        if (k.Repainted && k.RequiresBbml2State && !k.SystemBbml2 && AnyBlockOutsideAlias(k, s, e))
            k.Report(Invariant.RepaintIncomplete, k.CurrentPoint, BlockAfterRepaint);
    }

    public static void OnKfenceReady(Kernel k)
    {
        var c = k.Config;
        if (!AllPte(k.Map, c.KfencePoolOffset, c.KfencePoolOffset + c.KfencePoolSize))
            k.Report(Invariant.KfenceNotPte, k.CurrentPoint, PoolNotPte);
    }

    public static void AfterMapMem(Kernel k)
    {
        if (!k.Config.DebugPagealloc) return;
        if (k.RequiresBbml2State) k.Report(Invariant.DpaNotPte, Point.None, RequiresSet);
        if (AnyBlockOutsideAlias(k, 0, k.Config.RamBytes)) k.Report(Invariant.DpaNotPte, Point.None, BlockLeaf);
    }

    public static void AfterRepaint(Kernel k)
    {
        if (k.RequiresBbml2State && !k.SystemBbml2 && AnyBlockOutsideAlias(k, 0, k.Config.RamBytes))
            k.Report(Invariant.RepaintIncomplete, Point.None, BlockLeaf);
    }

    public static void AtEnd(Kernel k)
    {
        if (k.KfenceReady) OnKfenceReady(k);
    }

    private static bool AnyBlockOutsideAlias(Kernel k, ulong s, ulong e)
    {
        var map = k.Map;
        var ks = k.Config.KaliasOffset;
        var ke = ks + k.Config.KaliasSize;
        for (var i = Math.Max(map.Find(s), 0); i < map.Count && map[i].Start < e; i++)
        {
            ref readonly var r = ref map[i];
            if ((r.Level != Level.Pte || r.Cont) && (r.Start < ks || r.End > ke)) return true;
        }

        return false;
    }

    internal static bool AllPte(LinearMap map, ulong s, ulong e)
    {
        for (var i = Math.Max(map.Find(s), 0); i < map.Count && map[i].Start < e; i++)
        {
            if (map[i].Level != Level.Pte || map[i].Cont) return false;
        }

        return true;
    }

    private static bool AnyValid(LinearMap map, ulong s, ulong e)
    {
        for (var i = Math.Max(map.Find(s), 0); i < map.Count && map[i].Start < e; i++)
        {
            if ((map[i].Attrs & Attr.Valid) != 0) return true;
        }

        return false;
    }

    private static bool Overlaps(ulong s, ulong e, ulong b, ulong size) => s < b + size && b < e;
}
