using FuzzFarm.Model;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// (D) upstream f12b435de2f2 = "[PATCH v2 1/3] arm64: mm: Fix rodata=full block mapping support for realm
/// guests" (Ryan Roberts, 30 Mar 2026), Message-ID &lt;20260330161705.3349825-2-ryan.roberts@arm.com&gt;.
/// Decides on linear_map_requires_bbml2 (boot CPU known BBML2) instead of the executing CPU; blackout before
/// FINALIZE while more than one CPU is online. Argued hazards: the not-yet-online secondary (zoo Z3) and
/// check-then-act across a sleep (zoo Z8).
/// </summary>
public sealed class RealmV2 : SplitVariant
{
    public override string Id => "realm-v2";

    public override string Letter => "D";

    public override int Order => 4;

    public override string? Parent => "realm-v1";

    public override string Provenance => "f12b435de2f2 <20260330161705.3349825-2-ryan.roberts@arm.com>";

    public override string Summary => "realm v2 (upstream): requires_bbml2 gate; blackout while >1 CPU online before FINALIZE";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        // Nothing is block-mapped unless the linear map relies on BBML2_NOABORT; the KFENCE pool is page-mapped.
        if (!k.LinearMapRequiresBbml2 || k.IsKfenceAddress(start))
            return 0;

        if (!k.SystemSupportsBbml2NoAbort())
        {
            // Finalized without BBML2_NOABORT: the repaint made everything page-mapped.
            if (k.SystemCapabilitiesFinalized())
                return 0;

            // Before FINALIZE: only the boot CPU (known BBML2) may be running, and splitting allocates.
            if (k.WarnOn(!k.PageAllocAvailable, "page_alloc_available"))
                return -EBUSY;
            if (k.WarnOn(k.NumOnlineCpus() > 1, "num_online_cpus"))
                return -EBUSY;
        }

        return SplitCore.SplitKernelLeafMappingRange(k, start, end);
    }
}
