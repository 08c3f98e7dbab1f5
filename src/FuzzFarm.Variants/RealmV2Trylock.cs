using FuzzFarm.Model;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// (E) Catalin Marinas's cpus_read_trylock() idea on REALMv2 (2 Apr 2026), Message-ID
/// &lt;ac7VD4Z85nS30GCp@arm.com&gt;, declined in &lt;adTMFFljx862f7TF@arm.com&gt;. The mail gives the idea, not a
/// patch: the trylock's place among the guards and its -EBUSY without WARN are this project's reading.
/// Closes the not-yet-online window (a booting CPU's _cpu_up() holds the lock for write) but drops the lock
/// before the split: the check-then-act window stays (zoo Z8).
/// </summary>
public sealed class RealmV2Trylock : SplitVariant
{
    public override string Id => "realm-v2-trylock";

    public override string Letter => "E";

    public override int Order => 5;

    public override string? Parent => "realm-v2";

    public override string Provenance => "proposal in <ac7VD4Z85nS30GCp@arm.com> (2 Apr 2026), on f12b435de2f2";

    public override string Summary => "realm v2 + cpus_read_trylock() around the online check, unlocked before the split";

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

            // A CPU being brought up (or taken down) holds cpu_hotplug_lock for write.
            if (!k.CpusReadTrylock())
                return -EBUSY;
            var busy = k.NumOnlineCpus() > 1;
            k.CpusReadUnlock();
            if (busy)
                return -EBUSY;
        }

        return SplitCore.SplitKernelLeafMappingRange(k, start, end);
    }
}
