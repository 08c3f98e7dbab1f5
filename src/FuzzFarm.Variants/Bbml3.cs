using FuzzFarm.Model;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// BBML3 qualification (Linu Cherian, 1 Jul 2026; linux-next 94104e3cfa80 renames the BBML2_NOABORT cap and
/// helpers to BBML3, 879aca5119cd lets a CPU qualify when ID_AA64MMFR2_EL1.BBM ≥ 3 <em>or</em> its MIDR is on the
/// allow-list). Domain §9: only how a CPU qualifies changes; the split's guards are (D)'s, unchanged. The hazard
/// it adds is one of detection: a CPU whose ID register claims level 3 is trusted even if an erratum of its
/// revision can still raise a conflict abort.
/// </summary>
public sealed class Bbml3 : SplitVariant
{
    public override string Id => "bbml3";

    public override int Order => 8;

    public override string? Parent => "realm-v2";

    public override string Provenance => "linux-next 94104e3cfa80 + 879aca5119cd (Linu Cherian, 1 Jul 2026)";

    public override string Summary => "realm v2's guards; a CPU qualifies by ID_AA64MMFR2_EL1.BBM >= 3 or the MIDR allow-list";

    /// <summary>has_bbml3(): the ID register's BBM field, else the (renamed) MIDR allow-list.</summary>
    public override bool CpuQualifiesBbml2NoAbort(CpuSpec cpu) => cpu.BbmLevel >= 3 || Bbml2NoAbortAllowList.Contains(cpu);

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        // (D)'s guards, with system_supports_bbml3() under its old name.
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
