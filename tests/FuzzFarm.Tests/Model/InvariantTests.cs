using FuzzFarm.Model;
using FuzzFarm.Tests.Planted;
using static FuzzFarm.Tests.Model.M;

namespace FuzzFarm.Tests.Model;

/// <summary>Every invariant both ways: a program that breaks it, and a near-identical one that does not.</summary>
public sealed class InvariantTests
{
    private static readonly MachineEvent[] _z3Prefix =
    [
        Phase(BootPhase.SmpInit),
        MachineEvent.CpuUp(1, 1, StopSpec.AtPoint(Point.SecondaryMmuOn)),
    ];

    [Fact]
    public void TlbConflict_SplitWhileNonBbml2SecondaryHasMmuOn_Reported_ButNotBeforeItsMmuIsOn()
    {
        var bad = Run(Z3Machine, V("realm-v2"), [.. _z3Prefix, Call(2, CallOp.SetMemoryRo, InPud)]);
        var v = bad.First(Invariant.TlbConflict);
        Assert.Equal(1, v.Cpu);
        Assert.Equal(2, v.EventIndex);
        Assert.Equal(Assumptions.AsyncDuringSmp | Assumptions.NoKnownCaller, v.Assumptions);

        var ok = Run(Z3Machine, V("realm-v2"),
            Phase(BootPhase.SmpInit), MachineEvent.CpuUp(1, 1, StopSpec.AtPoint(Point.CpusWriteLock)), Call(2, CallOp.SetMemoryRo, InPud));
        Assert.False(ok.Has(Invariant.TlbConflict), ok.Ids());
    }

    [Fact]
    public void SleepInAtomic_MutexFromAtomicContextAfterSmpInit_Reported_TaskContextIsNot()
    {
        var dpa = AllBbml2.With(debugPagealloc: true);
        var bad = Run(dpa, V("a166563"), Phase(BootPhase.Runtime),
            Call(1, CallOp.KernelMapPages, InContPmd, ctx: CallContext.Atomic));
        Assert.Equal(Point.MutexLock, bad.First(Invariant.SleepInAtomic).Where);
        Assert.Equal(Assumptions.None, bad.First(Invariant.SleepInAtomic).Assumptions);

        var ok = Run(dpa, V("a166563"), Phase(BootPhase.Runtime), Call(1, CallOp.KernelMapPages, InContPmd));
        Assert.False(ok.Has(Invariant.SleepInAtomic), ok.Ids());
    }

    [Fact]
    public void AllocBeforePageAllocator_SplitBeforeMemInit_Reported_AfterMemInitIsNot()
    {
        var realm = AllBbml2.With(realm: true);
        var bad = Run(realm, new NoPageAllocCheck(), Phase(BootPhase.MmPreinit), Call(1, CallOp.SetMemoryDecrypted, InContPmd));
        Assert.True(bad.Has(Invariant.AllocBeforePageAllocator), bad.Ids());
        Assert.Equal(Assumptions.EarlyCaller, bad.First(Invariant.AllocBeforePageAllocator).Assumptions);

        var ok = Run(realm, new NoPageAllocCheck(), Phase(BootPhase.MemInit), Call(1, CallOp.SetMemoryDecrypted, InContPmd));
        Assert.Equal("", ok.Ids());
    }

    [Fact]
    public void WalkerWarn_PartialBlockLeftUnsplit_Reported_WholeBlockIsNot()
    {
        var realm = AllBbml2.With(realm: true);
        var bad = Run(realm, V("a166563"), Phase(BootPhase.KfenceInit), Call(1, CallOp.SetMemoryDecrypted, 0x1000));
        Assert.Equal("pageattr_pmd_entry", bad.First(Invariant.WalkerWarn).Detail);

        // [0, 2 MiB) is one non-CONT PMD block (the kernel alias follows it): covering it whole needs no split.
        var ok = Run(realm, V("a166563"), Phase(BootPhase.KfenceInit), Call(1, CallOp.SetMemoryDecrypted, 0, pages: 512));
        Assert.Equal("", ok.Ids());
    }

    [Fact]
    public void SplitWarn_BlackoutBeforePageAllocator_ReportedWithItsGuard_AfterMemInitIsNot()
    {
        var realm = AllBbml2.With(realm: true);
        var bad = Run(realm, V("realm-v2"), Phase(BootPhase.MmPreinit), Call(1, CallOp.SetMemoryDecrypted, InContPmd));
        Assert.Equal("page_alloc_available", bad.First(Invariant.SplitWarn).Detail);
        Assert.False(bad.Has(Invariant.AllocBeforePageAllocator));

        var ok = Run(realm, V("realm-v2"), Phase(BootPhase.MemInit), Call(1, CallOp.SetMemoryDecrypted, InContPmd));
        Assert.Equal("", ok.Ids());
    }

    [Fact]
    public void PermNotApplied_InvalidBlockSkippedByPreFixWalker_Reported_FixedWalkerIsNot()
    {
        var realm = AllBbml2.With(realm: true);
        MachineEvent[] program = [Phase(BootPhase.Runtime), Call(1, CallOp.SetMemoryDecrypted, G + (2 * Mi), pages: 512)];
        var bad = Run(realm.With(walker: WalkerMode.Sect), V("realm-v2"), program);
        Assert.Equal(Point.Walk, bad.First(Invariant.PermNotApplied).Where);

        var ok = Run(realm, V("realm-v2"), program);
        Assert.Equal("", ok.Ids());
        var leaf = ok.Kernel.Map.Runs.ToArray().First(r => r.Start <= G + (2 * Mi) && G + (2 * Mi) < r.End);
        Assert.Equal(Attr.Valid | Attr.Pxn | Attr.Shared, leaf.Attrs);
    }

    [Fact]
    public void PermOverreach_StaleTablePublishedOverConcurrentChange_Reported_MutexPreventsIt()
    {
        MachineEvent[] program =
        [
            Phase(BootPhase.Runtime),
            Call(1, CallOp.SetMemoryValid, InContPmd, stop: StopSpec.AtPoint(Point.PgtableAlloc)),
            Call(2, CallOp.SetMemoryValid, 48 * Mi, pages: 512, enable: false),
            MachineEvent.RunTask(1),
        ];
        var bad = Run(AllBbml2, new NoMutex(), program);
        Assert.True(bad.Has(Invariant.PermOverreach), bad.Ids());
        Assert.Equal(Assumptions.PreemptedCall | Assumptions.NoKnownCaller, bad.First(Invariant.PermOverreach).Assumptions);

        var ok = Run(AllBbml2, V("realm-v2"), program);
        Assert.False(ok.Has(Invariant.PermOverreach), ok.Ids());
    }

    [Fact]
    public void ContInconsistent_WalkInsideUnsplitContGroup_Reported_CorrectSplitIsNot()
    {
        // First split the 2 MiB block at 48 MiB into CONT PTEs, then change two pages at a 64 KiB boundary.
        MachineEvent[] program =
        [
            Phase(BootPhase.Runtime),
            Call(1, CallOp.SetMemoryValid, InContPmd + (64 * 4096), enable: true),
            Call(2, CallOp.SetMemoryValid, 48 * Mi, pages: 2),
        ];
        var bad = Run(AllBbml2, V("canary"), program);
        Assert.True(bad.Has(Invariant.ContInconsistent), bad.Ids());

        var ok = Run(AllBbml2, V("realm-v2"), program);
        Assert.Equal("", ok.Ids());
    }

    [Fact]
    public void RealmShareFailed_LateRealmDetectionRefusal_Reported_Bbml2UncondIsNot()
    {
        var realm = AllBbml2.With(realm: true, rodata: RodataMode.NoAlias);
        MachineEvent[] program = [Phase(BootPhase.Runtime), Call(1, CallOp.SetMemoryDecrypted, InContPmd)];
        Assert.True(Run(realm, V("realm-v2"), program).Has(Invariant.RealmShareFailed));
        Assert.False(Run(realm, V("bbml2-uncond"), program).Has(Invariant.RealmShareFailed));
    }

    [Fact]
    public void KfenceNotPte_LatePoolLeftInBlocks_Reported_PreSplitPoolIsNot()
    {
        var kfence = AllBbml2.With(kfence: KfenceMode.Late);
        MachineEvent[] program = [Phase(BootPhase.Runtime), Call(1, CallOp.KfenceInitLate, 0, pages: 0)];

        // B's early exit for KFENCE addresses without its arch pre-split: kfence_init_pool()'s protects split nothing.
        Assert.True(Run(kfence, new NoKfencePreSplit(), program).Has(Invariant.KfenceNotPte));
        var ok = Run(kfence, V("ce2b3a5"), program);
        Assert.Equal("", ok.Ids());
        Assert.True(ok.Kernel.TablePagesAllocated > 0);

        // A has no arch pre-split, but kfence_init_pool()'s own protects split the pool page by page (the old
        // oracle judged the pool before them and reported a pool A did make page-mapped).
        Assert.Equal("", Run(kfence, V("a166563"), program).Ids());
    }

    private sealed class NoKfencePreSplit : SplitVariant
    {
        public override string Id => "planted-no-kfence-presplit";

        public override string Provenance => "test: ce2b3a5 without arch_kfence_init_pool()";

        public override string Summary => "ce2b3a5 whose arch_kfence_init_pool() accepts the pool as mapped";

        public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end) =>
            FuzzFarm.Variants.VariantCatalog.Get("ce2b3a5").SplitKernelLeafMapping(k, start, end);

        public override bool ArchKfenceInitPool(Kernel k) => true;
    }

    [Fact]
    public void DpaNotPte_ForcePteMappingIgnoringDebugPagealloc_Reported_RealOneIsNot()
    {
        var dpa = AllBbml2.With(debugPagealloc: true);
        Assert.True(Run(dpa, new ForgetsDebugPagealloc(), Phase(BootPhase.MapMem)).Has(Invariant.DpaNotPte));
        Assert.Equal("", Run(dpa, V("realm-v2"), Phase(BootPhase.MapMem)).Ids());
    }

    [Fact]
    public void LateCpuAdmitted_DetectionSaysYesHardwareSaysNo_Reported_DetectedLackIsRefused()
    {
        CpuSpec[] lying = [CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true), new CpuSpec(true, false)];
        MachineEvent[] program = [Phase(BootPhase.Runtime), MachineEvent.CpuUp(1, 2)];
        var bad = Run(new MachineConfig(lying, bootCpus: 2), V("realm-v2"), program);
        Assert.Equal(2, bad.First(Invariant.LateCpuAdmitted).Cpu);
        Assert.Equal(Assumptions.LateHotplug, bad.First(Invariant.LateCpuAdmitted).Assumptions);

        CpuSpec[] honest = [CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(false)];
        var ok = Run(new MachineConfig(honest, bootCpus: 2), V("realm-v2"), program);
        Assert.Equal("", ok.Ids());
        Assert.False(ok.Kernel.CpuOnline(2));
        Assert.False(ok.Kernel.CpuMmuOn(2));
    }

    [Fact]
    public void RepaintIncomplete_NoRepaintOnNonBbml2Secondary_Reported_RealRepaintIsNot()
    {
        Assert.True(Run(Z3Machine, new NoRepaint(), Phase(BootPhase.Repaint)).Has(Invariant.RepaintIncomplete));
        var ok = Run(Z3Machine, V("realm-v2"), Phase(BootPhase.Repaint));
        Assert.Equal("", ok.Ids());
        Assert.True(ok.Kernel.TablePagesAllocated > 1000);
    }

    [Fact]
    public void UnsplittableRequest_VersionLeavesAContGroupCut_Reported_VersionThatSplitsIsNot()
    {
        // Z6's machine: a realm detected after map_mem(), so D's requires_bbml2 is false. Decrypting one whole 2M
        // block of a CONT-PMD group: D returns 0 and the walk rewrites one entry of the group.
        var z6 = AllBbml2.With(realm: true, rodata: RodataMode.NoAlias);
        MachineEvent[] program = [Phase(BootPhase.Runtime), Call(1, CallOp.SetMemoryDecrypted, 0x220_0000, pages: 512)];
        var bad = Run(z6, V("realm-v2"), program);
        Assert.Equal(Invariant.UnsplittableRequest, bad.Violations[0].Invariant);

        // C decides on the system's BBML2_NOABORT after FINALIZE and splits: the old request-time check reported it.
        Assert.Equal("", Run(z6, V("realm-v1"), program).Ids());

        // A whole block that is no group's part needs no split: nothing to report on any version.
        Assert.Equal("", Run(z6.With(ramBytes: 64UL << 20, kaliasOffset: 0x20_0000, kaliasSize: 0x20_0000,
            kfencePoolOffset: 0x200_0000), V("realm-v2"), Phase(BootPhase.Runtime), Call(1, CallOp.SetMemoryDecrypted, 0x60_0000, pages: 512)).Ids());
    }

    [Fact]
    public void SpuriousEbusy_RefusalWithNothingToSplit_Reported_QuietReturnIsNot()
    {
        var m = Cpus(false, true);
        MachineEvent[] OnCpu(byte cpu) => [Phase(BootPhase.SmpInit), MachineEvent.CpuUp(1, 1), Call(2, CallOp.SetDirectMapInvalidNoflush, InPud, cpu: cpu)];
        var bad = Run(m, V("realm-v1"), OnCpu(1));
        Assert.True(bad.Has(Invariant.SpuriousEbusy), bad.Ids());
        Assert.Equal("num_online_cpus", bad.First(Invariant.SplitWarn).Detail);
        Assert.Equal("", Run(m, V("realm-v1"), OnCpu(0)).Ids());
    }

    [Fact]
    public void LockOrder_HotplugLockInsideSplitMutex_Reported_HeldVariantOrderIsNot()
    {
        MachineEvent[] program = [Phase(BootPhase.MemInit), Call(1, CallOp.SetDirectMapInvalidNoflush, InPud)];
        Assert.True(Run(Z3Machine, new InvertedLockOrder(), program).Has(Invariant.LockOrder));
        Assert.Equal("", Run(Z3Machine, V("realm-v2-trylock-held"), program).Ids());
    }

    [Fact]
    public void LockOrder_SplitWithoutTheMutex_Reported_EvenWithoutARace()
    {
        MachineEvent[] program = [Phase(BootPhase.Runtime), Call(1, CallOp.SetMemoryValid, InPud, enable: true)];
        var bad = Run(AllBbml2, new NoMutex(), program);
        Assert.Equal("page-table split without pgtable_split_lock", bad.First(Invariant.LockOrder).Detail);
        Assert.Equal("", Run(AllBbml2, V("realm-v2"), program).Ids());
    }

    [Fact]
    public void LockOrder_MutexHeldAtReturn_ReportedAsUnbalanced()
    {
        var m = Run(AllBbml2, new LeaksMutex(), Phase(BootPhase.Runtime), Call(1, CallOp.SetDirectMapInvalidNoflush, InPud));
        Assert.Equal("pgtable_split_lock held at return", m.First(Invariant.LockOrder).Detail);
    }

    [Fact]
    public void EveryInvariant_HasAStableIdAndTitle()
    {
        var ids = Invariants.All.Select(Invariants.Id).ToList();
        Assert.Equal(Invariants.Count, ids.Distinct().Count());
        Assert.Contains("tlb-conflict", ids);
        Assert.All(Invariants.All, i => Assert.True(Invariants.TryParse(Invariants.Id(i), out var back) && back == i));
    }
}
