using FuzzFarm.Model;
using static FuzzFarm.Model.KernelLocks;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// A deliberately broken copy of (D) realm-v2 that any working engine must find: it splits at
/// <c>start</c> only and forgets <c>end</c>, so a range ending inside a block reaches the permission walk
/// unsplit (walker-warn, or an inconsistent CONT group). It needs no rare machine or interleaving: on the
/// default machine any multi-page change that ends mid-block shows it.
/// </summary>
public sealed class Canary : SplitVariant
{
    public override string Id => "canary";

    public override int Order => 99;

    public override string Provenance => "planted bug in a copy of f12b435de2f2 (FuzzFarm self-test)";

    public override string Summary => "canary: realm v2 that forgets to split at end";

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

        if (!IsAligned(start, PAGE_SIZE) || !IsAligned(end, PAGE_SIZE))
            return -EINVAL;

        k.MutexLock(pgtable_split_lock);
        var ret = SplitCore.SplitKernelLeafMappingLocked(k, start); // BUG (planted): no split at end.
        k.MutexUnlock(pgtable_split_lock);
        return ret;
    }
}
