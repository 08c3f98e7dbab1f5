namespace FuzzFarm.Model;

/// <summary>One kernel function that reaches split_kernel_leaf_mapping() (or the page-attribute code around it).</summary>
/// <param name="Id">Stable short id (finding files, the README's table).</param>
/// <param name="Function">The kernel caller, as a maintainer would name it.</param>
/// <param name="Path">The call path down to the entry point the model implements.</param>
/// <param name="When">Boot phase(s), context and configuration in words.</param>
/// <param name="Source">Where this was checked: commit, file, mail or the domain document's section.</param>
/// <param name="Inferred">The caller's existence or its context is the project's inference, not read in a source.</param>
public sealed record KernelCaller(string Id, string Function, string Path, string When, string Source, bool Inferred = false);

/// <summary>
/// The caller catalog: operation × boot phase × context → the kernel callers that make that call. The single place
/// that says whether a call is one the kernel makes (strict) or needs an environment assumption (adversarial); the
/// machine's own boot traffic (debug_pagealloc frees, KFENCE init, the realm swiotlb and ITS decrypts) is made from
/// the same rows. Execution code asks it and never tags assumptions itself.
/// </summary>
public static class CallerCatalog
{
    private const byte Task = 1, Atomic = 2, AnyContext = Task | Atomic;

    /// <summary>The callers, in row order (ids are stable).</summary>
    public static readonly IReadOnlyList<KernelCaller> All =
    [
        new("swiotlb-preinit", "swiotlb_update_mem_attributes()", "mm_core_init → arch_mm_preinit → swiotlb_update_mem_attributes → set_memory_decrypted",
            "P5 (arch_mm_preinit), boot CPU, realm, kernels before realm v1", "domain §2 P5; a166563/ce2b3a5-era arch/arm64/mm/init.c"),
        new("swiotlb-meminit", "swiotlb_update_mem_attributes()", "mm_core_init → mem_init → swiotlb_update_mem_attributes → set_memory_decrypted",
            "P7 (arm64 mem_init, after page_alloc_available), boot CPU, realm, realm v1 and later", "REALMv1 <20260323130317.1737522-2-ryan.roberts@arm.com>; domain §4.3"),
        new("gic-its", "its_alloc_tables() (GIC ITS)", "start_kernel → init_IRQ → gic_of_init/gic_acpi_init → its_init → its_alloc_tables → set_memory_decrypted",
            "P8 (init_IRQ), boot CPU, IRQs off, realm", "JTU <0b2a4ae5-fc51-4d77-b177-b2e9db74f11d@huawei.com>; domain §2 P8"),
        new("dma-pool", "atomic_pool_init() / dma_direct_alloc()", "postcore initcall atomic_pool_init → atomic_pool_expand → set_memory_decrypted; drivers: dma_direct_alloc → dma_set_decrypted",
            "P12 (initcalls and drivers), sleepable, realm", "domain §2 P12, §3 (DMA pools/devices later)"),
        new("dma-free", "dma_direct_free()", "dma_direct_free → dma_set_encrypted → set_memory_encrypted",
            "P12, sleepable, realm", "domain §3", Inferred: true),
        new("dpa-free", "memblock_free_all() / page allocator (debug_pagealloc)", "memblock_free_all → __free_pages_core → debug_pagealloc_unmap_pages → __kernel_map_pages; later every alloc/free",
            "P6 on (memblock_free_all), sleepable, debug_pagealloc", "domain §2 P6, §3"),
        new("dpa-atomic", "kfree() → __free_slab() (debug_pagealloc)", "kfree → __free_slab → __free_pages → debug_pagealloc_unmap_pages → __kernel_map_pages",
            "P9 on, atomic (softirq, IRQs off, under rcu_read_lock), debug_pagealloc", "GUENTER <f24b9032-0ec9-47b1-8b95-c0eeac7a31c5@roeck-us.net>; domain §3"),
        new("kfence-protect", "kfence_guarded_alloc()/kfence_guarded_free()", "kfence_protect/kfence_unprotect → kfence_protect_page → set_memory_valid",
            "once the pool is initialised (P8 early, P12 late), atomic or sleepable, KFENCE", "domain §3"),
        new("kfence-init-early", "kfence_init()", "start_kernel → kfence_init → kfence_init_pool_early → arch_kfence_init_pool, kfence_protect (pages 0, 1 and every redzone)",
            "P8, boot CPU, KFENCE with an early pool", "domain §2 P8, §3; mm/kfence/core.c kfence_init_pool()"),
        new("kfence-init-late", "kfence_init_late()", "param_set_sample_interval → kfence_init_late → kfence_init_pool_late → arch_kfence_init_pool, kfence_protect",
            "P12, sleepable, KFENCE with a late pool (kfence.sample_interval set after boot)", "ce2b3a50ad92; domain §1, §3"),
        new("module-ro", "module loader, BPF JIT, kprobes, execmem", "module_enable_rodata_ro / bpf_jit_binary_lock_ro / alloc_insn_page → set_memory_ro/rw/x/nx → change_memory_common",
            "P12 (initcalls and later), sleepable", "domain §3"),
        new("vm-reset-perms", "vfree(VM_FLUSH_RESET_PERMS), memfd_secret", "vm_reset_perms → set_direct_map_invalid_noflush/default_noflush; secretmem_fault → set_direct_map_invalid_noflush",
            "P12, sleepable, can_set_direct_map()", "domain §3"),
        new("direct-map-valid", "execmem ROX cache, secretmem", "set_direct_map_valid_noflush → set_memory_valid",
            "P12, sleepable, can_set_direct_map()", "domain §3", Inferred: true),
        new("guest-memfd", "guest_memfd without direct map (KVM)", "guest_memfd folio allocation → set_direct_map_invalid_noflush over the folio + flush_tlb_kernel_range; folio free → set_direct_map_valid_noflush over the folio",
            "P12 (after FINALIZE), sleepable, folio-sized ranges (4K, 64K, 2M, larger), only when can_set_direct_map() (else guest_memfd keeps its folios mapped: no call), machine gmem=on, not in a realm (a CCA realm has no EL2 to run KVM)",
            "domain §9 (guest_memfd without direct map, 2026); the event names and the realm exclusion are the project's", Inferred: true),
        new("mem-hotplug", "add_memory() (ACPI memory hot-add, virtio-mem)", "add_memory → add_memory_resource → mem_hotplug_begin (cpus_read_lock, mem_hotplug_lock) → arch_add_memory → __create_pgd_mapping (NO_BLOCK|NO_CONT if force_pte_mapping())",
            "P12 (after FINALIZE, final caps), sleepable, machine hotadd=SIZE: RAM above the machine's", "domain §2 P13, §3 (arch_add_memory), §7.8; mm/memory_hotplug.c"),
    ];

    /// <summary>Row ids, by name, for the machine's own traffic.</summary>
    internal const int SwiotlbPreinit = 0, SwiotlbMemInit = 1, GicIts = 2, DpaFree = 5, KfenceInitEarly = 8;

    private readonly record struct Row(int Caller, CallOp Op, BootPhase From, BootPhase To, byte Contexts, Func<MachineConfig, SplitVariant, bool> When);

    private static readonly Row[] _rows =
    [
        new(0, CallOp.SetMemoryDecrypted, BootPhase.MmPreinit, BootPhase.MmPreinit, AnyContext,
            (m, v) => m.Realm && v.SwiotlbUpdateMemAttributesPhase == BootPhase.MmPreinit),
        new(1, CallOp.SetMemoryDecrypted, BootPhase.MemInit, BootPhase.MemInit, AnyContext,
            (m, v) => m.Realm && v.SwiotlbUpdateMemAttributesPhase == BootPhase.MemInit),
        new(2, CallOp.SetMemoryDecrypted, BootPhase.KfenceInit, BootPhase.KfenceInit, AnyContext, (m, _) => m.Realm),
        new(3, CallOp.SetMemoryDecrypted, BootPhase.Runtime, BootPhase.Runtime, Task, (m, _) => m.Realm),
        new(4, CallOp.SetMemoryEncrypted, BootPhase.Runtime, BootPhase.Runtime, Task, (m, _) => m.Realm),
        new(5, CallOp.KernelMapPages, BootPhase.MemblockFreeAll, BootPhase.Runtime, Task, (m, _) => m.DebugPagealloc),
        new(6, CallOp.KernelMapPages, BootPhase.SmpInit, BootPhase.Runtime, Atomic, (m, _) => m.DebugPagealloc),
        new(7, CallOp.KfenceProtect, BootPhase.KfenceInit, BootPhase.Runtime, AnyContext, (m, _) => m.Kfence != KfenceMode.Off),
        new(7, CallOp.KfenceUnprotect, BootPhase.KfenceInit, BootPhase.Runtime, AnyContext, (m, _) => m.Kfence != KfenceMode.Off),
        new(8, CallOp.KfenceInitLate, BootPhase.KfenceInit, BootPhase.KfenceInit, Task, (m, _) => m.Kfence == KfenceMode.Early),
        new(9, CallOp.KfenceInitLate, BootPhase.Runtime, BootPhase.Runtime, Task, (m, _) => m.Kfence == KfenceMode.Late),
        new(10, CallOp.SetMemoryRo, BootPhase.Runtime, BootPhase.Runtime, Task, (_, _) => true),
        new(10, CallOp.SetMemoryRw, BootPhase.Runtime, BootPhase.Runtime, Task, (_, _) => true),
        new(10, CallOp.SetMemoryX, BootPhase.Runtime, BootPhase.Runtime, Task, (_, _) => true),
        new(10, CallOp.SetMemoryNx, BootPhase.Runtime, BootPhase.Runtime, Task, (_, _) => true),
        new(11, CallOp.SetDirectMapInvalidNoflush, BootPhase.Runtime, BootPhase.Runtime, Task, (_, _) => true),
        new(11, CallOp.SetDirectMapDefaultNoflush, BootPhase.Runtime, BootPhase.Runtime, Task, (_, _) => true),
        new(12, CallOp.SetDirectMapValidNoflush, BootPhase.Runtime, BootPhase.Runtime, Task, (_, _) => true),
        // KVM needs EL2, which a CCA realm guest does not have: guest_memfd in a realm is no kernel caller.
        new(13, CallOp.GmemFolioZapDirectMap, BootPhase.Runtime, BootPhase.Runtime, Task, (m, _) => m.GuestMemfd && !m.Realm),
        new(13, CallOp.GmemFolioRestoreDirectMap, BootPhase.Runtime, BootPhase.Runtime, Task, (m, _) => m.GuestMemfd && !m.Realm),
        new(14, CallOp.ArchAddMemory, BootPhase.Runtime, BootPhase.Runtime, Task, (m, _) => m.HotaddBytes != 0),
    ];

    private const int Phases = (int)BootPhase.Runtime + 1;
    private const int Ops = (int)CallOp.ArchAddMemory + 1;

    /// <summary>Rows per (op, phase, context) for one machine and version: caller index + 1, or 0.</summary>
    internal static byte[] Table(MachineConfig machine, SplitVariant variant)
    {
        var table = new byte[Ops * Phases * 2];
        foreach (var row in _rows)
        {
            if (!row.When(machine, variant)) continue;
            for (var p = row.From; p <= row.To; p++)
            {
                if ((row.Contexts & Task) != 0) table[Index(row.Op, p, CallContext.Task)] = (byte)(row.Caller + 1);
                if ((row.Contexts & Atomic) != 0) table[Index(row.Op, p, CallContext.Atomic)] = (byte)(row.Caller + 1);
            }
        }

        return table;
    }

    private static int Index(CallOp op, BootPhase phase, CallContext ctx) => ((((int)op * Phases) + (int)phase) * 2) + (int)ctx;

    /// <summary>
    /// What a call of <paramref name="op"/> in <paramref name="phase"/> and <paramref name="ctx"/> needs: the catalog
    /// row that makes it (then no assumption), or the assumption that names why no kernel caller does.
    /// </summary>
    /// <param name="table">The machine's table (<see cref="Table"/>).</param>
    /// <param name="op">The entry point.</param>
    /// <param name="phase">The boot phase the call starts in.</param>
    /// <param name="ctx">The calling context.</param>
    /// <param name="rangeOk">The range is one such a caller passes (no kernel alias, the KFENCE pool only for KFENCE).</param>
    /// <param name="caller">The catalog row of the caller, or -1.</param>
    internal static Assumptions Classify(byte[] table, CallOp op, BootPhase phase, CallContext ctx, bool rangeOk, out int caller)
    {
        caller = table[Index(op, phase, ctx)] - 1;
        if (caller >= 0 && rangeOk) return Assumptions.None;
        if (!rangeOk) return Assumptions.UncheckedCaller;
        if (ctx == CallContext.Atomic && table[Index(op, phase, CallContext.Task)] != 0) return Assumptions.AtomicCaller;
        if (phase < BootPhase.MemInit)
        {
            for (var p = phase + 1; p < (BootPhase)Phases; p++)
            {
                if (table[Index(op, p, ctx)] != 0 || table[Index(op, p, CallContext.Task)] != 0) return Assumptions.EarlyCaller;
            }
        }

        return Assumptions.NoKnownCaller;
    }

    /// <summary>CPU hot-plug: smp_init() brings up the boot CPUs; after FINALIZE a bring-up or tear-down is late hot-plug.</summary>
    internal static Assumptions Hotplug(BootPhase phase) => phase >= BootPhase.Finalize ? Assumptions.LateHotplug : Assumptions.None;

    /// <summary>The callers whose bits are set in <paramref name="mask"/>.</summary>
    public static IEnumerable<KernelCaller> Of(uint mask) =>
        Enumerable.Range(0, All.Count).Where(i => (mask & (1u << i)) != 0).Select(i => All[i]);

    /// <summary>The rows as (caller, op, phases, contexts) for documentation and tests.</summary>
    public static IEnumerable<(KernelCaller Caller, CallOp Op, BootPhase From, BootPhase To, string Contexts)> Rows =>
        _rows.Select(r => (All[r.Caller], r.Op, r.From, r.To, r.Contexts switch { Task => "task", Atomic => "atomic", _ => "any" }));
}
