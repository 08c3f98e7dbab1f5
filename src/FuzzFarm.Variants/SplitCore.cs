using FuzzFarm.Model;
using static FuzzFarm.Model.KernelLocks;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.Variants;

/// <summary>
/// The body every version shares (§4.0): from a166563e7ec3 to the 2026 realm series the code after the guards
/// is unchanged — take pgtable_split_lock, split at start and at end, drop the lock.
/// Re-expressed in C#; the order of operations and of the per-level checks follows mmu.c.
/// </summary>
public static class SplitCore
{
    /// <summary>The locked part of split_kernel_leaf_mapping(): range checks, mutex, one or two split points.</summary>
    public static int SplitKernelLeafMappingRange(Kernel k, ulong start, ulong end)
    {
        int ret;

        if (!IsAligned(start, PAGE_SIZE) || !IsAligned(end, PAGE_SIZE))
            return -EINVAL;

        k.MutexLock(pgtable_split_lock);

        // A single page lies in one CONT-PTE group: splitting at the less aligned end splits that group, so the
        // more aligned end is then a boundary too.
        if (end - start == PAGE_SIZE)
        {
            start = System.Numerics.BitOperations.TrailingZeroCount(start)
                < System.Numerics.BitOperations.TrailingZeroCount(end) ? start : end;
            ret = SplitKernelLeafMappingLocked(k, start);
        }
        else
        {
            ret = SplitKernelLeafMappingLocked(k, start);
            if (ret == 0)
                ret = SplitKernelLeafMappingLocked(k, end);
        }

        k.MutexUnlock(pgtable_split_lock);
        return ret;
    }

    /// <summary>split_kernel_leaf_mapping_locked(addr): make addr a leaf boundary, top level down.</summary>
    public static int SplitKernelLeafMappingLocked(Kernel k, ulong addr)
    {
        int ret;

        // PGD/P4D: the linear map sits below one PGD entry in the model; nothing above PUD is ever a leaf.
        // PUD: an aligned address is already a boundary; a PUD block becomes a table of CONT PMD blocks.
        if (AlignDown(addr, PUD_SIZE) == addr)
            return 0;
        if (k.PudLeaf(addr))
        {
            ret = k.SplitPud(addr, toCont: true);
            if (ret != 0)
                return ret;
        }

        // CONT_PMD: an aligned address is a boundary; else break the group, then the PMD block.
        if (AlignDown(addr, CONT_PMD_SIZE) == addr)
            return 0;
        if (k.PmdLeaf(addr))
        {
            if (k.PmdCont(addr))
                k.SplitContPmd(addr);
            if (AlignDown(addr, PMD_SIZE) == addr)
                return 0;
            ret = k.SplitPmd(addr, toCont: true);
            if (ret != 0)
                return ret;
        }

        // CONT_PTE: an aligned address is a boundary; else break the group.
        if (AlignDown(addr, CONT_PTE_SIZE) == addr)
            return 0;
        if (k.PteCont(addr))
            k.SplitContPte(addr);

        return 0;
    }
}
