namespace FuzzFarm.Model;

/// <summary>A permission-change entry point of §3 (the callers that reach split_kernel_leaf_mapping()).</summary>
public enum CallOp : byte
{
    /// <summary>set_memory_ro(vmalloc area backed by the pages at addr): with rodata_full also the linear alias.</summary>
    SetMemoryRo,
    SetMemoryRw,
    SetMemoryX,
    SetMemoryNx,

    /// <summary>set_memory_valid(addr, pages, enable) on the linear map.</summary>
    SetMemoryValid,
    SetDirectMapInvalidNoflush,
    SetDirectMapDefaultNoflush,
    SetDirectMapValidNoflush,

    /// <summary>Realm: __set_memory_enc_dec(addr, pages, encrypt=false).</summary>
    SetMemoryDecrypted,
    SetMemoryEncrypted,

    /// <summary>kfence_protect_page(addr, true) → set_memory_valid(addr, 1, 0).</summary>
    KfenceProtect,
    KfenceUnprotect,

    /// <summary>debug_pagealloc: __kernel_map_pages(page, pages, enable).</summary>
    KernelMapPages,

    /// <summary>kfence_init_late(): arch_kfence_init_pool() on the late pool.</summary>
    KfenceInitLate,

    // Appended with trace format revision 3 (never renumber).

    /// <summary>
    /// guest_memfd removes a folio from the direct map (domain §9): if can_set_direct_map(),
    /// set_direct_map_invalid_noflush() over the folio, then flush_tlb_kernel_range(). When can_set_direct_map() is
    /// false guest_memfd keeps its folios mapped: no call.
    /// </summary>
    GmemFolioZapDirectMap,

    /// <summary>guest_memfd gives a folio back: set_direct_map_valid_noflush(folio, nr, true) over the folio.</summary>
    GmemFolioRestoreDirectMap,

    /// <summary>
    /// Memory hot-add: add_memory() → mem_hotplug_begin() (cpus_read_lock, mem_hotplug_lock) → arch_add_memory()
    /// maps the machine's hot-add RAM with the version's force_pte_mapping() under final caps.
    /// </summary>
    ArchAddMemory,
}

/// <summary>The calling context of a call (§3 "typical context").</summary>
public enum CallContext : byte
{
    /// <summary>Sleepable task context.</summary>
    Task,

    /// <summary>Atomic context (IRQs off, softirq, under a spinlock or rcu_read_lock).</summary>
    Atomic,
}
