namespace FuzzFarm.Model;

/// <summary>
/// One version of <c>split_kernel_leaf_mapping()</c> and of the helpers that changed with it. A variant is the
/// kernel code under test; the <see cref="Kernel"/> it receives is the machine and the kernel primitives it may
/// call (named as in the kernel). Defaults are upstream as of f12b435de2f2 + b7737c38e7cb; a version overrides
/// only what it changed. Variants must be deterministic and keep no state of their own: a call may be re-run
/// from its start to resume it after a preemption point (see <see cref="Kernel"/>).
/// </summary>
public abstract class SplitVariant
{
    /// <summary>Stable id (catalog key, trace header, signatures).</summary>
    public abstract string Id { get; }

    /// <summary>Where this version comes from: commit and/or Message-ID.</summary>
    public abstract string Provenance { get; }

    /// <summary>One line: what this version changed.</summary>
    public abstract string Summary { get; }

    /// <summary>The domain document's letter for this version (A–F, E'), or empty.</summary>
    public virtual string Letter => "";

    /// <summary>
    /// The version this one changes, on the real history (A → B → C → D; E, E' and F are proposals on D), or null
    /// for the first version and for one apart from the history (the canary). Verdicts say "fixed in X" only along it.
    /// </summary>
    public virtual string? Parent => null;

    /// <summary>Position in catalog listings (history order); ties break on <see cref="Id"/>.</summary>
    public virtual int Order => 1000;

    /// <summary>split_kernel_leaf_mapping(start, end): make start and end leaf boundaries. Returns 0 or -errno.</summary>
    public abstract int SplitKernelLeafMapping(Kernel k, ulong start, ulong end);

    /// <summary>force_pte_mapping() (mmu.c; as tidied by 53357f14f924).</summary>
    public virtual bool ForcePteMapping(Kernel k)
    {
        var bbml2 = k.SystemCapabilitiesFinalized() ? k.SystemSupportsBbml2NoAbort() : k.CpuSupportsBbml2NoAbort();
        return k.DebugPageallocEnabled()
            || (!bbml2 && (k.RodataFull || k.Arm64KfenceCanSetDirectMap() || k.IsRealmWorld()));
    }

    /// <summary>can_set_direct_map() (pageattr.c): may the direct map be changed at all?</summary>
    public virtual bool CanSetDirectMap(Kernel k) =>
        k.RodataFull || k.DebugPageallocEnabled() || k.Arm64KfenceCanSetDirectMap() || k.IsRealmWorld();

    /// <summary>The value map_mem() gives linear_map_requires_bbml2 (3df6979d222b).</summary>
    public virtual bool MapMemLinearMapRequiresBbml2(Kernel k) => !k.ForcePteMapping() && k.CanSetDirectMap();

    /// <summary>arch_kfence_init_pool() (added by ce2b3a50ad92, simplified by b7737c38e7cb). True: pool usable.</summary>
    public virtual bool ArchKfenceInitPool(Kernel k)
    {
        var start = k.KfencePool;
        var end = start + k.KfencePoolSize;

        // A page-mapped linear map needs no pre-split; an early pool was mapped with PTEs by map_mem().
        if (k.ForcePteMapping())
            return true;
        if (k.KfenceEarlyInit)
            return true;

        k.MutexLock(KernelLocks.pgtable_split_lock);
        var ret = k.RangeSplitToPtes(start, end);
        k.MutexUnlock(KernelLocks.pgtable_split_lock);
        return ret == 0;
    }

    /// <summary>linear_map_maybe_split_to_ptes() (3df6979d222b), run right after capabilities are finalized.</summary>
    public virtual void LinearMapMaybeSplitToPtes(Kernel k)
    {
        if (k.LinearMapRequiresBbml2 && !k.SystemSupportsBbml2NoAbort())
            k.StopMachineLinearMapSplitToPtes();
    }

    /// <summary>Where swiotlb_update_mem_attributes() runs: arch_mm_preinit (P5) before REALMv1, mem_init (P7) after.</summary>
    public virtual BootPhase SwiotlbUpdateMemAttributesPhase => BootPhase.MemInit;

    /// <summary>
    /// Whether this kernel probes RSI before map_mem() (Suzuki Poulose's RFC "Support for probing RSI earlier",
    /// §9): then is_realm_world() is already true when P2 decides the mapping and linear_map_requires_bbml2.
    /// </summary>
    public virtual bool ProbesRsiBeforeMapMem => false;

    /// <summary>The BBML2_NOABORT MIDR allow-list of this kernel's cpufeature.c (domain §1).</summary>
    public virtual MidrAllowList Bbml2NoAbortAllowList => MidrAllowList.Bbml2NoAbort2026;

    /// <summary>
    /// How a CPU qualifies as BBML2_NOABORT for this kernel: has_bbml2_noabort() on what the kernel can read of
    /// it (MIDR, ID registers), never on what the hardware does. Today's versions: the MIDR allow-list only (the
    /// ID register's BBM field is ignored); BBML3 (§9) also admits ID_AA64MMFR2_EL1.BBM ≥ 3.
    /// </summary>
    public virtual bool CpuQualifiesBbml2NoAbort(CpuSpec cpu) => Bbml2NoAbortAllowList.Contains(cpu);

    public override string ToString() => Id;
}
