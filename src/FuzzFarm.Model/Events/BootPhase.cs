namespace FuzzFarm.Model;

/// <summary>
/// The boot timeline of §2, in order. A machine starts after P1 (parse_early_param: the configuration is the
/// command line); a <c>phase</c> event advances through every phase up to and including the one it names.
/// </summary>
public enum BootPhase : byte
{
    /// <summary>P1: setup_arch → parse_early_param (the initial state).</summary>
    EarlyParam = 1,

    /// <summary>P2: paging_init → map_mem: linear map and linear_map_requires_bbml2.</summary>
    MapMem = 2,

    /// <summary>P3: psci init, arm64_rsi_init: is_realm_world() turns true in a realm.</summary>
    RsiInit = 3,

    /// <summary>P4: smp_prepare_boot_cpu → setup_boot_cpu_features: the BBML2 cap bit from the boot CPU.</summary>
    BootCpuFeatures = 4,

    /// <summary>P5: mm_core_init → arch_mm_preinit (swiotlb_init; pre-REALM kernels decrypt the bounce buffer here).</summary>
    MmPreinit = 5,

    /// <summary>P6: mem_debugging_and_hardening_init, memblock_free_all (debug_pagealloc on).</summary>
    MemblockFreeAll = 6,

    /// <summary>P7: mem_init: page_alloc_available (REALM kernels decrypt the bounce buffer here).</summary>
    MemInit = 7,

    /// <summary>P8: init_IRQ … kfence_init (early KFENCE pool set up).</summary>
    KfenceInit = 8,

    /// <summary>P9: kernel_init_freeable → smp_init: secondaries come up (serially unless bringup=parallel).</summary>
    SmpInit = 9,

    /// <summary>P10: smp_cpus_done → apply_alternatives_all under stop_machine: capabilities finalized.</summary>
    Finalize = 10,

    /// <summary>P11: linear_map_maybe_split_to_ptes(): repaint to PTEs when a secondary lacks BBML2_NOABORT.</summary>
    Repaint = 11,

    /// <summary>P12: runtime (mark_rodata_ro, initcalls, userspace).</summary>
    Runtime = 12,
}
