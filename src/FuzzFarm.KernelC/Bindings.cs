using FuzzFarm.Model;
using FuzzFarm.Variants;
using static FuzzFarm.Model.Units;

namespace FuzzFarm.KernelC;

/// <summary>One kernel name the C text may use, and what it is in the model.</summary>
internal sealed record Binding(string Name, int Arity, Func<Kernel, long, long, long> Fn, string Meaning, bool IsVariable = false)
{
    /// <summary>A three-argument function (the arity is then 3; <see cref="Fn"/> is unused).</summary>
    public Func<Kernel, long, long, long, long>? Fn3 { get; init; }
}

/// <summary>
/// The one binding table: kernel names → model primitives and state. Each entry calls the same <see cref="Kernel"/>
/// member a C# variant calls, so an interpreted version has the same preemption points, logging and replay.
/// </summary>
public static class KernelBindings
{
    private static long B(bool b) => b ? 1 : 0;

    /// <summary>__GFP_DIRECT_RECLAIM: the allocation may sleep (gfpflags_allow_blocking()).</summary>
    private const long GfpDirectReclaim = 0x400;

    private static readonly Binding[] _table =
    [
        // State read as variables.
        new("linear_map_requires_bbml2", 0, (k, _, _) => B(k.LinearMapRequiresBbml2), "set once by map_mem(); a guard (preemption point)", true),
        new("page_alloc_available", 0, (k, _, _) => B(k.PageAllocAvailable), "set by the arm64 mem_init(); a guard", true),
        new("slab_is_available", 0, (k, _, _) => B(k.SlabIsAvailable()), "true once kmem_cache_init() ran (after mem_init()'s page_alloc_available and the swiotlb decrypt); a logged read"),
        new("rodata_full", 0, (k, _, _) => B(k.RodataFull), "the machine's rodata=full (early parameter)", true),
        new("kfence_early_init", 0, (k, _, _) => B(k.KfenceEarlyInit), "KFENCE pool allocated before map_mem()", true),
        new("__kfence_pool", 0, (k, _, _) => (long)k.KfencePool, "the KFENCE pool's linear-map address", true),
        new("KFENCE_POOL_SIZE", 0, (k, _, _) => (long)k.KfencePoolSize, "the KFENCE pool's size", true),
        new("pgtable_split_lock", 0, (_, _, _) => 0, "the mutex; only as &pgtable_split_lock in mutex_lock/unlock and guards", true),
        // Functions that are guards or locks in the model.
        new("num_online_cpus", 0, (k, _, _) => k.NumOnlineCpus(), "popcount of the online mask (preemption point)"),
        new("cpus_read_trylock", 0, (k, _, _) => B(k.CpusReadTrylock()), "fails while a writer holds or waits for cpu_hotplug_lock"),
        new("cpus_read_lock", 0, (k, _, _) => { k.CpusReadLock(); return 0; }, "waits for writers of cpu_hotplug_lock"),
        new("cpus_read_unlock", 0, (k, _, _) => { k.CpusReadUnlock(); return 0; }, "releases cpu_hotplug_lock for read"),
        new("mutex_lock", 1, (k, _, _) => { k.MutexLock(KernelLocks.pgtable_split_lock); return 0; }, "mutex_lock(&pgtable_split_lock): might_sleep, then sleeps while held"),
        new("mutex_unlock", 1, (k, _, _) => { k.MutexUnlock(KernelLocks.pgtable_split_lock); return 0; }, "mutex_unlock(&pgtable_split_lock)"),
        new("system_supports_bbml2_noabort", 0, (k, _, _) => B(k.SystemSupportsBbml2NoAbort()), "the finalized capability; false until FINALIZE"),
        new("cpu_supports_bbml2_noabort", 0, (k, _, _) => B(k.CpuSupportsBbml2NoAbort()), "whether the executing CPU qualifies, by the version's rule (MIDR allow-list; bbml3: or ID-register BBM >= 3)"),
        new("system_capabilities_finalized", 0, (k, _, _) => B(k.SystemCapabilitiesFinalized()), "flips at FINALIZE"),
        new("is_kfence_address", 1, (k, a, _) => B(k.IsKfenceAddress((ulong)a)), "inside the KFENCE pool once it is set"),
        new("debug_pagealloc_enabled", 0, (k, _, _) => B(k.DebugPageallocEnabled()), "the early debug_pagealloc flag"),
        new("is_realm_world", 0, (k, _, _) => B(k.IsRealmWorld()), "true from arm64_rsi_init() in a realm guest"),
        new("arm64_kfence_can_set_direct_map", 0, (k, _, _) => B(k.Arm64KfenceCanSetDirectMap()), "KFENCE on and its pool late"),
        new("force_pte_mapping", 0, (k, _, _) => B(k.ForcePteMapping()), "this version's force_pte_mapping(), as one guard"),
        new("can_set_direct_map", 0, (k, _, _) => B(k.CanSetDirectMap()), "this version's can_set_direct_map(), as one guard"),
        new("split_kernel_leaf_mapping_locked", 1, (k, a, _) => SplitCore.SplitKernelLeafMappingLocked(k, (ulong)a), "the model's own locked split at one address"),
        new("range_split_to_ptes", 3, (_, _, _) => 0, "the model's own split of a range to PTEs; a gfp mask without __GFP_DIRECT_RECLAIM (GFP_ATOMIC, GFP_NOWAIT) makes its table allocations non-sleeping")
        {
            Fn3 = (k, a, b, gfp) => k.RangeSplitToPtes((ulong)a, (ulong)b, gfpAtomic: (gfp & GfpDirectReclaim) == 0),
        },
        new("GFP_KERNEL", 0, (_, _, _) => 0xcc0, "__GFP_RECLAIM | __GFP_IO | __GFP_FS (may sleep)", true),
        new("GFP_PGTABLE_KERNEL", 0, (_, _, _) => 0xcc0 | 0x100, "GFP_KERNEL | __GFP_ZERO (may sleep)", true),
        new("GFP_ATOMIC", 0, (_, _, _) => 0x820, "__GFP_HIGH | __GFP_KSWAPD_RECLAIM (does not sleep)", true),
        new("GFP_NOWAIT", 0, (_, _, _) => 0x800, "__GFP_KSWAPD_RECLAIM (does not sleep)", true),
        new("linear_map_split_to_ptes", 0, (k, _, _) => { k.StopMachineLinearMapSplitToPtes(); return 0; }, "the repaint; as stop_machine(linear_map_split_to_ptes, …)"),
        new("lazy_mmu_mode_enable", 0, (_, _, _) => 0, "no-op in the model (no batching of TLB maintenance)"),
        new("lazy_mmu_mode_disable", 0, (_, _, _) => 0, "no-op in the model"),
        new("arch_enter_lazy_mmu_mode", 0, (_, _, _) => 0, "no-op in the model"),
        new("arch_leave_lazy_mmu_mode", 0, (_, _, _) => 0, "no-op in the model"),
        new("init_idmap_kpti_bbml2_flag", 0, (_, _, _) => 0, "no-op in the model"),
        new("flush_tlb_all", 0, (_, _, _) => 0, "no-op in the model (splits flush themselves)"),
        // Pure helpers.
        new("IS_ALIGNED", 2, (_, a, b) => B(IsAligned((ulong)a, (ulong)b)), "x aligned to a power of two"),
        new("ALIGN_DOWN", 2, (_, a, b) => (long)AlignDown((ulong)a, (ulong)b), "round down"),
        new("ALIGN", 2, (_, a, b) => (long)AlignDown((ulong)a + (ulong)b - 1, (ulong)b), "round up"),
        new("PAGE_ALIGNED", 1, (_, a, _) => B(IsAligned((ulong)a, PAGE_SIZE)), "x aligned to a page"),
        new("PAGE_ALIGN", 1, (_, a, _) => (long)AlignDown((ulong)a + PAGE_SIZE - 1, PAGE_SIZE), "round up to a page"),
        new("__ffs", 1, (_, a, _) => System.Numerics.BitOperations.TrailingZeroCount((ulong)a), "index of the lowest set bit"),
        new("PAGE_SIZE", 0, (_, _, _) => (long)PAGE_SIZE, "4 KiB", true),
        new("CONT_PTE_SIZE", 0, (_, _, _) => (long)CONT_PTE_SIZE, "64 KiB", true),
        new("PMD_SIZE", 0, (_, _, _) => (long)PMD_SIZE, "2 MiB", true),
        new("CONT_PMD_SIZE", 0, (_, _, _) => (long)CONT_PMD_SIZE, "32 MiB", true),
        new("PUD_SIZE", 0, (_, _, _) => (long)PUD_SIZE, "1 GiB", true),
        new("EBUSY", 0, (_, _, _) => EBUSY, "16", true),
        new("EINVAL", 0, (_, _, _) => EINVAL, "22", true),
        new("ENOMEM", 0, (_, _, _) => ENOMEM, "12", true),
        new("true", 0, (_, _, _) => 1, "1", true),
        new("false", 0, (_, _, _) => 0, "0", true),
        new("NULL", 0, (_, _, _) => 0, "0", true),
    ];

    internal static readonly Dictionary<string, Binding> Table = _table.ToDictionary(b => b.Name, StringComparer.Ordinal);

    /// <summary>Kernel configuration symbols for IS_ENABLED() and #ifdef, read from the machine.</summary>
    internal static readonly Dictionary<string, Func<MachineConfig, bool>> Configs = new(StringComparer.Ordinal)
    {
        ["CONFIG_KFENCE"] = c => c.Kfence != KfenceMode.Off,
        ["CONFIG_DEBUG_PAGEALLOC"] = _ => true,
        ["CONFIG_ARM64"] = _ => true,
        ["CONFIG_ARM64_4K_PAGES"] = _ => true,
        ["CONFIG_ARM64_16K_PAGES"] = _ => false,
        ["CONFIG_ARM64_64K_PAGES"] = _ => false,
        ["CONFIG_SMP"] = _ => true,
        ["CONFIG_HOTPLUG_CPU"] = _ => true,
    };

    /// <summary>Functions the model implements itself: a definition in the C text is reported, not run.</summary>
    internal static readonly HashSet<string> ModelOwn = new(StringComparer.Ordinal)
    {
        "split_kernel_leaf_mapping_locked", "split_pud", "split_pmd", "split_cont_pte", "split_cont_pmd", "range_split_to_ptes",
        "linear_map_split_to_ptes", "split_to_ptes_pud_entry", "split_to_ptes_pmd_entry", "split_to_ptes_pte_entry", "map_mem",
        "num_online_cpus", "is_kfence_address", "system_supports_bbml2_noabort", "cpu_supports_bbml2_noabort",
    };

    /// <summary>Functions a version may define; the model runs them from the text.</summary>
    internal static readonly string[] Defined =
        ["split_kernel_leaf_mapping", "force_pte_mapping", "can_set_direct_map", "arch_kfence_init_pool", "linear_map_maybe_split_to_ptes"];

    /// <summary>The table for documentation: name, arity (-1: variable), meaning.</summary>
    public static IEnumerable<(string Name, int Arity, string Meaning)> Describe() =>
        _table.Select(b => (b.Name, b.IsVariable ? -1 : b.Arity, b.Meaning));

    /// <summary>Functions a version may define, for documentation.</summary>
    public static IEnumerable<string> DefinedNames => Defined;

    /// <summary>Functions the model owns, for documentation.</summary>
    public static IEnumerable<string> ModelOwnNames => ModelOwn.Order(StringComparer.Ordinal);

    /// <summary>Configuration symbols, for documentation.</summary>
    public static IEnumerable<string> ConfigNames => Configs.Keys.Order(StringComparer.Ordinal);

    /// <summary>Up to three known names nearest to <paramref name="name"/> (edit distance).</summary>
    internal static string Nearest(string name, IEnumerable<string> extra) =>
        string.Join(", ", Table.Keys.Concat(extra).Distinct().OrderBy(n => Distance(name, n)).ThenBy(n => n, StringComparer.Ordinal).Take(3));

    private static int Distance(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) d[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            var prev = d[0];
            d[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var t = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), prev + (a[i - 1] == b[j - 1] ? 0 : 1));
                prev = t;
            }
        }
        return d[b.Length];
    }
}
