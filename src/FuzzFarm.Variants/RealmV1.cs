using FuzzFarm.Model;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// (C) "[PATCH v1 1/3] arm64: mm: Fix rodata=full block mapping support for realm guests" (Ryan Roberts,
/// 23 Mar 2026, not merged), Message-ID &lt;20260323130317.1737522-2-ryan.roberts@arm.com&gt;. Allows splits before
/// FINALIZE while one CPU is online and the page allocator is up; swiotlb decrypt moves to mem_init().
/// Its blackout tests come before the page-mapped exit, and it reads the executing CPU's MIDR (zoo Z7).
/// </summary>
public sealed class RealmV1 : SplitVariant
{
    public override string Id => "realm-v1";

    public override string Letter => "C";

    public override int Order => 3;

    public override string? Parent => "ce2b3a5";

    public override string Provenance => "[PATCH v1 1/3] 23 Mar 2026 <20260323130317.1737522-2-ryan.roberts@arm.com>";

    public override string Summary => "realm v1: split before FINALIZE on one online CPU after mem_init (reads this CPU's MIDR)";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        if (!k.SystemSupportsBbml2NoAbort())
        {
            // Capabilities not finalized yet: this CPU must have BBML2_NOABORT, the page allocator must exist
            // and no other CPU may be online.
            if (k.SystemCapabilitiesFinalized() || !k.CpuSupportsBbml2NoAbort())
                return 0;
            if (k.WarnOn(!k.PageAllocAvailable, "page_alloc_available"))
                return -EBUSY;
            if (k.WarnOn(k.NumOnlineCpus() > 1, "num_online_cpus"))
                return -EBUSY;
        }

        if (k.ForcePteMapping() || k.IsKfenceAddress(start))
            return 0;

        return SplitCore.SplitKernelLeafMappingRange(k, start, end);
    }
}
