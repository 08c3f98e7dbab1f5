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

    private const string KernelMapPagesUnmap = "__kernel_map_pages() dropped the error: freed page left mapped";
    private const string KernelMapPagesMap = "__kernel_map_pages() dropped the error: allocated page left unmapped";
    private const string KfenceProtect = "kfence_protect_page() dropped the error: guard page left accessible";
    private const string KfenceUnprotect = "kfence_protect_page() dropped the error: object page left inaccessible";

    /// <summary>A caller that ignores the error of set_memory_valid(): the kernel goes on as if it had worked.</summary>
    public static void OnDroppedError(Kernel k, DroppedBy by) => k.Report(Invariant.PermNotApplied, Point.Oracle, by switch
    {
        DroppedBy.KernelMapPagesUnmap => KernelMapPagesUnmap,
        DroppedBy.KernelMapPagesMap => KernelMapPagesMap,
        DroppedBy.KfenceProtect => KfenceProtect,
        _ => KfenceUnprotect,
    });

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
/// unsplittable-request: the version's split returned 0 but left start or end inside a contiguous group whose
/// entries are each wholly in or out of the range — the walk then rewrites part of the group without a WARN
/// (a cut through a block is walker-warn's, which the kernel does print). Judged on what this version did, so a
/// version that splits, or a range that needs no split, is never reported.
/// </summary>
internal static class UnsplittableRequestChecker
{
    private const string ContLeftWhole = "split returned 0 with the range cutting a contiguous group";

    public static void OnSplitReturn(Kernel k, ulong start, ulong end)
    {
        if (k.CutsContGroupOnly(start) || k.CutsContGroupOnly(end)) k.Report(Invariant.UnsplittableRequest, Point.Oracle, ContLeftWhole);
    }
}

/// <summary>The callers that drop set_memory_valid()'s error.</summary>
internal enum DroppedBy : byte
{
    KernelMapPagesUnmap,
    KernelMapPagesMap,
    KfenceProtect,
    KfenceUnprotect,
}
