using FuzzFarm.Model;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// (E') The trylock with the read lock held for the whole split, as Catalin Marinas put it in
/// &lt;adTMFFljx862f7TF@arm.com&gt; (7 Apr 2026): "we'll probably need to keep the lock for the duration of the
/// splitting". Lock order cpu_hotplug_lock (read) → pgtable_split_lock, only in the pre-FINALIZE branch.
/// A bring-up now waits for the split to finish, which closes the check-then-act window of E.
/// </summary>
public sealed class RealmV2TrylockHeld : SplitVariant
{
    public override string Id => "realm-v2-trylock-held";

    public override string Letter => "E'";

    public override int Order => 6;

    public override string? Parent => "realm-v2";

    public override string Provenance => "implied by <adTMFFljx862f7TF@arm.com> (7 Apr 2026), on f12b435de2f2";

    public override string Summary => "realm v2 + cpus_read_trylock() held across the split before FINALIZE";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        var locked = false;
        int ret;

        if (!k.LinearMapRequiresBbml2 || k.IsKfenceAddress(start))
            return 0;

        if (!k.SystemSupportsBbml2NoAbort())
        {
            if (k.SystemCapabilitiesFinalized())
                return 0;
            if (k.WarnOn(!k.PageAllocAvailable, "page_alloc_available"))
                return -EBUSY;
            if (!k.CpusReadTrylock())
                return -EBUSY;
            if (k.NumOnlineCpus() > 1)
            {
                k.CpusReadUnlock();
                return -EBUSY;
            }

            locked = true;
        }

        ret = SplitCore.SplitKernelLeafMappingRange(k, start, end);

        if (locked)
            k.CpusReadUnlock();
        return ret;
    }
}
