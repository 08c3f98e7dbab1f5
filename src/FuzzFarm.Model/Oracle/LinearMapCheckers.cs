namespace FuzzFarm.Model;

/// <summary>tlb-conflict: at every live resize, every CPU translating through swapper_pg_dir has BBML2_NOABORT.</summary>
/// <remarks>Judged by the hardware (<see cref="CpuSpec.Bbml2Hardware"/>), not by what the kernel detected.</remarks>
internal static class TlbConflictChecker
{
    // The detail names the conflicting CPU's state, so that the boot bring-up window (Z3), a late hot-plug and
    // an online CPU are different signatures: different windows, different fixes.
    private const string BringupWindow =
        "a secondary without BBML2_NOABORT in bring-up (MMU on, not yet online) translates through swapper_pg_dir";
    private const string HotplugWindow =
        "a hot-plugged CPU without BBML2_NOABORT (MMU on, not yet online) translates through swapper_pg_dir";
    private const string OnlineCpu = "an online CPU without BBML2_NOABORT translates through swapper_pg_dir";

    public static void OnLiveResize(Kernel k, ulong s, ulong e, Point where)
    {
        if (!MapQueries.AnyValid(k.Map, s, e)) return;
        k.CountLiveResize();
        var bad = k.TranslatingMask & ~k.HardwareBbml2Mask;
        if (bad == 0) return;
        var cpu = System.Numerics.BitOperations.TrailingZeroCount(bad);
        var online = (bad & k.OnlineMask) != 0;
        if (online) cpu = System.Numerics.BitOperations.TrailingZeroCount(bad & k.OnlineMask);
        var detail = online ? OnlineCpu : k.Finalized ? HotplugWindow : BringupWindow;
        k.Report(Invariant.TlbConflict, where, detail, cpu);
    }
}

/// <summary>cont-inconsistent: every CONT group is 16 aligned entries with one shape (maximal runs make it alignment).</summary>
internal static class ContInconsistentChecker
{
    private const string ContGroupBroken = "CONT group with differing entries";

    /// <summary>
    /// Judges the groups the write at [s, e) touched (those holding a page of it or the pages just outside it, where
    /// a cut falls): a group broken earlier is reported by the write that broke it, not by later unrelated writes.
    /// </summary>
    public static void AfterWrite(Kernel k, ulong s, ulong e)
    {
        var map = k.Map;
        var lo = s >= Units.PAGE_SIZE ? s - Units.PAGE_SIZE : 0;
        for (var i = Math.Max(map.Find(lo), 0); i < map.Count && map[i].Start <= e; i++)
        {
            ref readonly var r = ref map[i];
            var group = Units.ContSize(r.Level);
            if (r.Cont && (!Units.IsAligned(r.Start, group) || !Units.IsAligned(r.End, group)))
            {
                k.Report(Invariant.ContInconsistent, k.CurrentPoint, ContGroupBroken);
                return;
            }
        }
    }
}

/// <summary>kfence-not-pte: once KFENCE is initialised, every pool page is a non-CONT PTE.</summary>
internal static class KfenceNotPteChecker
{
    private const string PoolNotPte = "pool page in a block or CONT leaf";

    public static void Check(Kernel k, Point where)
    {
        var c = k.Config;
        if (k.KfenceReady && !MapQueries.AllPte(k.Map, c.KfencePoolOffset, c.KfencePoolOffset + c.KfencePoolSize))
            k.Report(Invariant.KfenceNotPte, where, PoolNotPte);
    }

    /// <summary>
    /// After a write to [s, e): only the pool pages the write touched can have changed, so only those are read
    /// (the pool is hundreds of runs once its guard pages are protected; a whole-pool scan per write made late
    /// KFENCE machines 5x slower). The end of the run still checks the whole pool.
    /// </summary>
    public static void AfterWrite(Kernel k, ulong s, ulong e, Point where)
    {
        var c = k.Config;
        var lo = Math.Max(s, c.KfencePoolOffset);
        var hi = Math.Min(e, c.KfencePoolOffset + c.KfencePoolSize);
        if (lo < hi && k.KfenceReady && !MapQueries.AllPte(k.Map, lo, hi)) k.Report(Invariant.KfenceNotPte, where, PoolNotPte);
    }
}

/// <summary>dpa-not-pte: debug_pagealloc ⇒ linear_map_requires_bbml2 is false and RAM outside the alias is PTE-mapped.</summary>
internal static class DpaNotPteChecker
{
    private const string RequiresSet = "linear_map_requires_bbml2 set with debug_pagealloc";
    private const string BlockLeaf = "block or CONT leaf outside the kernel alias";

    public static void AfterMapMem(Kernel k)
    {
        if (!k.Config.DebugPagealloc) return;
        if (k.RequiresBbml2State) k.Report(Invariant.DpaNotPte, Point.None, RequiresSet);
        if (MapQueries.AnyBlockOutsideAlias(k, 0, k.Config.RamBytes)) k.Report(Invariant.DpaNotPte, Point.None, BlockLeaf);
    }

    /// <summary>arch_add_memory() maps hot-added RAM with force_pte_mapping(): with debug_pagealloc it must be PTEs too.</summary>
    public static void AfterHotadd(Kernel k, ulong s, ulong e)
    {
        if (k.Config.DebugPagealloc && MapQueries.AnyBlockOutsideAlias(k, s, e)) k.Report(Invariant.DpaNotPte, Point.None, BlockLeaf);
    }
}

/// <summary>repaint-incomplete: after P11, requires ∧ ¬sys_bbml2 ⇒ no block or CONT leaf outside the kernel alias.</summary>
internal static class RepaintIncompleteChecker
{
    private const string BlockLeaf = "block or CONT leaf outside the kernel alias";
    private const string BlockAfterRepaint = "block or CONT leaf outside the kernel alias after the repaint";

    public static void AfterRepaint(Kernel k)
    {
        if (k.RequiresBbml2State && !k.SystemBbml2 && MapQueries.AnyBlockOutsideAlias(k, 0, k.MappedRamEnd))
            k.Report(Invariant.RepaintIncomplete, Point.None, BlockLeaf);
    }

    public static void AfterWrite(Kernel k, ulong s, ulong e)
    {
        if (k.Repainted && k.RequiresBbml2State && !k.SystemBbml2 && MapQueries.AnyBlockOutsideAlias(k, s, e))
            k.Report(Invariant.RepaintIncomplete, k.CurrentPoint, BlockAfterRepaint);
    }
}

/// <summary>The checkers every write to the linear map feeds, in one place.</summary>
internal static class LinearMapWrites
{
    public static void AfterWrite(Kernel k, ulong s, ulong e)
    {
        ContInconsistentChecker.AfterWrite(k, s, e);
        KfenceNotPteChecker.AfterWrite(k, s, e, k.CurrentPoint);
        RepaintIncompleteChecker.AfterWrite(k, s, e);
    }
}
