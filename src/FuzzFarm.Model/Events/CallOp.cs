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
}

/// <summary>The calling context of a call (§3 "typical context").</summary>
public enum CallContext : byte
{
    /// <summary>Sleepable task context.</summary>
    Task,

    /// <summary>Atomic context (IRQs off, softirq, under a spinlock or rcu_read_lock).</summary>
    Atomic,
}
