using FuzzFarm.Model;
using static FuzzFarm.Model.KernelLocks;
using FuzzFarm.Variants;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Tests.Planted;

/// <summary>realm-v2 without the page_alloc_available blackout: splits allocate before mem_init().</summary>
internal sealed class NoPageAllocCheck : SplitVariant
{
    public override string Id => "planted-no-page-alloc-check";
    public override string Provenance => "test";
    public override string Summary => "realm-v2 minus the W1 guard";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        if (!k.LinearMapRequiresBbml2 || k.IsKfenceAddress(start))
            return 0;
        if (!k.SystemSupportsBbml2NoAbort())
        {
            if (k.SystemCapabilitiesFinalized())
                return 0;
            if (k.WarnOn(k.NumOnlineCpus() > 1, "num_online_cpus"))
                return -EBUSY;
        }

        return SplitCore.SplitKernelLeafMappingRange(k, start, end);
    }
}

/// <summary>Splits without pgtable_split_lock: a concurrent walk can be overwritten by a stale table.</summary>
internal sealed class NoMutex : SplitVariant
{
    public override string Id => "planted-no-mutex";
    public override string Provenance => "test";
    public override string Summary => "realm-v2 core without the mutex";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        if (!k.LinearMapRequiresBbml2 || !k.SystemSupportsBbml2NoAbort())
            return 0;
        var ret = SplitCore.SplitKernelLeafMappingLocked(k, start);
        return ret != 0 ? ret : SplitCore.SplitKernelLeafMappingLocked(k, end);
    }
}

/// <summary>force_pte_mapping() that forgot debug_pagealloc.</summary>
internal sealed class ForgetsDebugPagealloc : SplitVariant
{
    public override string Id => "planted-forgets-dpa";
    public override string Provenance => "test";
    public override string Summary => "force_pte_mapping() ignores debug_pagealloc";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end) => 0;

    public override bool ForcePteMapping(Kernel k) =>
        !k.CpuSupportsBbml2NoAbort() && (k.RodataFull || k.Arm64KfenceCanSetDirectMap() || k.IsRealmWorld());
}

/// <summary>linear_map_maybe_split_to_ptes() that never repaints.</summary>
internal sealed class NoRepaint : SplitVariant
{
    public override string Id => "planted-no-repaint";
    public override string Provenance => "test";
    public override string Summary => "never repaints";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end) => 0;

    public override void LinearMapMaybeSplitToPtes(Kernel k)
    {
    }
}

/// <summary>Takes the hotplug lock inside pgtable_split_lock: the inverted lock order.</summary>
internal sealed class InvertedLockOrder : SplitVariant
{
    public override string Id => "planted-inverted-lock-order";
    public override string Provenance => "test";
    public override string Summary => "mutex, then cpus_read_trylock()";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        if (!k.LinearMapRequiresBbml2 || k.SystemSupportsBbml2NoAbort())
            return 0;
        k.MutexLock(pgtable_split_lock);
        var ok = k.CpusReadTrylock();
        if (ok)
            k.CpusReadUnlock();
        k.MutexUnlock(pgtable_split_lock);
        return ok ? 0 : -EBUSY;
    }
}

/// <summary>Returns with pgtable_split_lock still held.</summary>
internal sealed class LeaksMutex : SplitVariant
{
    public override string Id => "planted-leaks-mutex";
    public override string Provenance => "test";
    public override string Summary => "forgets mutex_unlock";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        if (!k.LinearMapRequiresBbml2)
            return 0;
        k.MutexLock(pgtable_split_lock);
        return 0;
    }
}

/// <summary>CPU 0 takes cpu_hotplug_lock then the mutex; other CPUs the mutex then cpu_hotplug_lock (ABBA).</summary>
internal sealed class AbbaLocks : SplitVariant
{
    public override string Id => "planted-abba";
    public override string Provenance => "test";
    public override string Summary => "opposite lock orders per CPU";

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
    {
        if (k.CurrentCpu == 0)
        {
            k.CpusReadLock();
            k.MutexLock(pgtable_split_lock);
            k.MutexUnlock(pgtable_split_lock);
            k.CpusReadUnlock();
        }
        else
        {
            k.MutexLock(pgtable_split_lock);
            k.CpusReadLock();
            k.CpusReadUnlock();
            k.MutexUnlock(pgtable_split_lock);
        }

        return 0;
    }
}
