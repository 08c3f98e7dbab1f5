using FuzzFarm.Model;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// (D) with the RSI probe moved before map_mem(): Suzuki Poulose's RFC "arm64: realm: Support for probing RSI
/// earlier" (v1 29 Apr, v2 5 May 2026, reviewed until 11 Jun 2026, not merged; domain §7.3, §9). is_realm_world()
/// is already true when paging_init() decides the linear map and linear_map_requires_bbml2, so a realm with
/// rodata=noalias gets requires_bbml2 on BBML2_NOABORT hardware and page mappings without it: the fix candidate
/// for zoo Z6. The split's guards are (D)'s.
/// </summary>
public sealed class RealmRsiEarly : SplitVariant
{
    public override string Id => "realm-rsi-early";

    public override int Order => 9;

    public override string? Parent => "realm-v2";

    public override string Provenance => "RFC \"arm64: realm: Support for probing RSI earlier\" (Suzuki K Poulose, v2 5 May 2026, not merged) on f12b435de2f2";

    public override string Summary => "realm v2 with arm64_rsi_init() before map_mem(): is_realm_world() known when the linear map is decided";

    public override bool ProbesRsiBeforeMapMem => true;

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        if (!k.LinearMapRequiresBbml2 || k.IsKfenceAddress(start))
            return 0;

        if (!k.SystemSupportsBbml2NoAbort())
        {
            if (k.SystemCapabilitiesFinalized())
                return 0;
            if (k.WarnOn(!k.PageAllocAvailable, "page_alloc_available"))
                return -EBUSY;
            if (k.WarnOn(k.NumOnlineCpus() > 1, "num_online_cpus"))
                return -EBUSY;
        }

        return SplitCore.SplitKernelLeafMappingRange(k, start, end);
    }
}
