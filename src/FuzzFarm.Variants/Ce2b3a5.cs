using FuzzFarm.Model;
using static FuzzFarm.Model.KernelLocks;

namespace FuzzFarm.Variants;

/// <summary>
/// (B) ce2b3a50ad92 "arm64: mm: Don't sleep in split_kernel_leaf_mapping() when in atomic context"
/// (Ryan Roberts, applied 7 Nov 2025), Message-ID &lt;20251106160945.3182799-2-ryan.roberts@arm.com&gt;, with
/// 40a292f70147 and 53357f14f924. Page-mapped ranges return before the mutex; a late KFENCE pool is split at init.
/// Remaining: every split before FINALIZE is still refused (zoo Z1).
/// </summary>
public sealed class Ce2b3a5 : SplitVariant
{
    public override string Id => "ce2b3a5";

    public override string Letter => "B";

    public override int Order => 2;

    public override string? Parent => "a166563";

    public override string Provenance => "ce2b3a50ad92 + 40a292f70147 + 53357f14f924 <20251106160945.3182799-2-ryan.roberts@arm.com>";

    public override string Summary => "no mutex for page-mapped ranges (debug_pagealloc, KFENCE); pre-split late KFENCE pool";

    /// <summary>The allow-list of this release's cpufeature.c (domain §1).</summary>
    public override MidrAllowList Bbml2NoAbortAllowList => MidrAllowList.Bbml2NoAbort2025Late;

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        if (!k.SystemSupportsBbml2NoAbort())
            return 0;

        // Page-mapped already (debug_pagealloc, KFENCE pool): nothing to split, so no mutex for atomic callers.
        if (k.ForcePteMapping() || k.IsKfenceAddress(start))
            return 0;

        return SplitCore.SplitKernelLeafMappingRange(k, start, end);
    }

    /// <summary>arch_kfence_init_pool() as added by ce2b3a50ad92, before b7737c38e7cb simplified its first test.</summary>
    public override bool ArchKfenceInitPool(Kernel k)
    {
        var start = k.KfencePool;
        var end = start + k.KfencePoolSize;

        if (!k.SystemSupportsBbml2NoAbort() || k.ForcePteMapping())
            return true;
        if (k.KfenceEarlyInit)
            return true;

        k.MutexLock(pgtable_split_lock);
        var ret = k.RangeSplitToPtes(start, end);
        k.MutexUnlock(pgtable_split_lock);
        return ret == 0;
    }

    public override BootPhase SwiotlbUpdateMemAttributesPhase => BootPhase.MmPreinit;
}
