using FuzzFarm.Model;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// (F) Kevin Brodsky's proposal in the realm thread (9 Apr 2026): use BBML2_NOABORT whenever
/// <c>!force_pte_mapping()</c>, let can_set_direct_map() be true when BBML2_NOABORT holds, and stop deciding in
/// map_mem() from can_set_direct_map(). No code was posted; this is the project's reading, on D's guards:
/// linear_map_requires_bbml2 = !force_pte_mapping(), and can_set_direct_map() also true when the CPU(s) that
/// force_pte_mapping() consults have BBML2_NOABORT. It fixes the late-realm-detection refusal (zoo Z6) on BBML2
/// hardware; the pre-FINALIZE windows stay as in D.
/// </summary>
public sealed class Bbml2Uncond : SplitVariant
{
    public override string Id => "bbml2-uncond";

    public override string Letter => "F";

    public override int Order => 7;

    public override string? Parent => "realm-v2";

    public override string Provenance => "proposal by Kevin Brodsky in the realm v2 thread, 9 Apr 2026 (no patch)";

    public override string Summary => "BBML2_NOABORT used whenever !force_pte_mapping(); can_set_direct_map() true with it";

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

    public override bool CanSetDirectMap(Kernel k)
    {
        var bbml2 = k.SystemCapabilitiesFinalized() ? k.SystemSupportsBbml2NoAbort() : k.CpuSupportsBbml2NoAbort();
        return base.CanSetDirectMap(k) || bbml2;
    }
}
