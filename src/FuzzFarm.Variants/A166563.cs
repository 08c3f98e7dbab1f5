using FuzzFarm.Model;

namespace FuzzFarm.Variants;

/// <summary>
/// (A) The original lazy split, a166563e7ec3 "arm64: mm: support large block mapping when rodata=full"
/// (Yang Shi, Ryan Roberts; 6.18-rc1), Message-ID &lt;20250917190323.3828347-4-yang@os.amperecomputing.com&gt;.
/// Hazards: every caller takes the sleeping mutex once the system has BBML2_NOABORT, atomic ones included
/// (zoo Z2); before FINALIZE every split is refused silently (zoo Z1).
/// </summary>
public sealed class A166563 : SplitVariant
{
    public override string Id => "a166563";

    public override string Letter => "A";

    public override int Order => 1;

    public override string Provenance => "a166563e7ec3 (6.18-rc1) <20250917190323.3828347-4-yang@os.amperecomputing.com>";

    public override string Summary => "original: split only when the system has BBML2_NOABORT, always under the mutex";

    /// <summary>The allow-list of this release's cpufeature.c (domain §1).</summary>
    public override MidrAllowList Bbml2NoAbortAllowList => MidrAllowList.Bbml2NoAbort2025;

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        // Without BBML2_NOABORT nothing may be split live: return and let the permission walk warn if the range
        // is not page-mapped already.
        if (!k.SystemSupportsBbml2NoAbort())
            return 0;

        return SplitCore.SplitKernelLeafMappingRange(k, start, end);
    }

    /// <summary>No arm64 arch_kfence_init_pool() yet: the generic one accepts the pool as it is mapped.</summary>
    public override bool ArchKfenceInitPool(Kernel k) => true;

    public override BootPhase SwiotlbUpdateMemAttributesPhase => BootPhase.MmPreinit;
}
