using FuzzFarm.Model;

namespace FuzzFarm.Tests.Model;

/// <summary>The revision-3 runtime callers: guest_memfd folios leaving and re-entering the direct map, memory hot-add.</summary>
public sealed class GmemHotaddTests
{
    private const ulong Hotadd = 1UL << 30;

    private static MachineEvent AddMemory(byte task, StopSpec stop = default) =>
        MachineEvent.Call(task, 0, CallContext.Task, CallOp.ArchAddMemory, 0, 0, stop: stop);

    private static Leaf LeafAt(Machine m, ulong offset) => m.Kernel.Map[m.Kernel.Map.Find(offset)];

    [Theory]
    [InlineData("realm-v2")]
    [InlineData("a166563")]
    public void HotAdd_WithDebugPagealloc_MapsPtes_WithoutItOnBbml2Hardware_Blocks(string id)
    {
        var ram = M.AllBbml2.RamBytes;
        var plain = M.Run(M.AllBbml2.With(hotaddBytes: Hotadd), M.V(id), M.Phase(BootPhase.Runtime), AddMemory(1));
        Assert.Equal(Level.Pud, LeafAt(plain, ram).Level);
        var dpa = M.Run(M.AllBbml2.With(hotaddBytes: Hotadd, debugPagealloc: true), M.V(id), M.Phase(BootPhase.Runtime), AddMemory(1));
        Assert.Equal(Level.Pte, LeafAt(dpa, ram + Hotadd - 4096).Level);
        Assert.False(LeafAt(dpa, ram).Cont);
        Assert.False(dpa.Has(Invariant.DpaNotPte));
    }

    [Fact]
    public void HotAdd_AfterARepaint_IsPageMapped_UnderTheFinalCaps()
    {
        // Z3's machine: CPU 1 lacks BBML2_NOABORT, so the system has no BBML2 and force_pte_mapping() is true with rodata=on.
        var m = M.Run(M.Z3Machine.With(hotaddBytes: Hotadd), M.V("realm-v2"), M.Phase(BootPhase.Runtime), AddMemory(1));
        Assert.True(m.Kernel.HotaddMapped);
        Assert.Equal(Level.Pte, LeafAt(m, M.Z3Machine.RamBytes).Level);
        Assert.False(m.Has(Invariant.RepaintIncomplete));
    }

    [Fact]
    public void HotAdd_TakesCpusReadLock_AndWaitsForACpuTearDown()
    {
        var machine = new Machine(M.AllBbml2.With(hotaddBytes: Hotadd), M.V("realm-v2"));
        machine.Run([M.Phase(BootPhase.Runtime), MachineEvent.CpuDown(1, 1, StopSpec.AtPoint(Point.CpusWriteLock)), AddMemory(2)]);
        Assert.True(machine.Kernel.HotaddMapped); // the drain ran the tear-down, then the hot-add

        var stopped = new Machine(M.AllBbml2.With(hotaddBytes: Hotadd), M.V("realm-v2"));
        stopped.RunPrefixOnly([M.Phase(BootPhase.Runtime), MachineEvent.CpuDown(1, 1, StopSpec.AtPoint(Point.CpusWriteLock)), AddMemory(2)]);
        Assert.False(stopped.Kernel.HotaddMapped); // blocked on cpu_hotplug_lock behind the writer
        stopped.Advance([MachineEvent.RunTask(1), MachineEvent.RunTask(2)], 3);
        Assert.True(stopped.Kernel.HotaddMapped);
    }

    [Fact]
    public void CallsIntoHotAddRam_WaitForTheHotAdd_AndASecondHotAddIsRefused()
    {
        var config = M.AllBbml2.With(hotaddBytes: Hotadd);
        var inHotadd = config.RamBytes + (2 * M.Mi) + 4096;
        var before = new Machine(config, M.V("realm-v2"));
        Assert.Equal(1, before.Run([M.Phase(BootPhase.Runtime), M.Call(1, CallOp.SetMemoryRo, inHotadd)]).SkippedEvents);
        var after = new Machine(config, M.V("realm-v2"));
        var summary = after.Run([M.Phase(BootPhase.Runtime), AddMemory(1), M.Call(2, CallOp.SetMemoryRo, inHotadd), AddMemory(3)]);
        Assert.Equal(1, summary.SkippedEvents); // the second hot-add
        Assert.Equal(Attr.ReadOnly, LeafAt(after, inHotadd).Attrs & Attr.ReadOnly);
        Assert.Equal(Assumptions.None, summary.AssumptionsUsed);
        Assert.Contains(CallerCatalog.Of(after.Kernel.CallersUsed), c => c.Id == "mem-hotplug");
    }

    [Fact]
    public void Gmem_AtRuntimeIsAKernelCaller_BeforeFinalizeItNeedsAnAssumption()
    {
        var config = M.AllBbml2.With(guestMemfd: true);
        var runtime = M.Run(config, M.V("realm-v2"), M.Phase(BootPhase.Runtime), M.Call(1, CallOp.GmemFolioZapDirectMap, M.InPud - 4096, 1));
        Assert.Contains(CallerCatalog.Of(runtime.Kernel.CallersUsed), c => c.Id == "guest-memfd");
        Assert.Equal(0, (int)(LeafAt(runtime, M.InPud - 4096).Attrs & Attr.Valid));
        Assert.Equal(Attr.Valid, LeafAt(runtime, M.InPud).Attrs & Attr.Valid); // only the folio left the direct map

        var early = new Machine(config, M.V("realm-v2"));
        var summary = early.Run([M.Phase(BootPhase.KfenceInit), M.Call(1, CallOp.GmemFolioZapDirectMap, M.InPud - 4096, 1)]);
        Assert.NotEqual(Assumptions.None, summary.AssumptionsUsed);

        // A realm guest has no EL2, so no KVM and no guest_memfd of its own: the same call there is no kernel caller.
        var realm = new Machine(config.With(realm: true), M.V("realm-v2"));
        var inRealm = realm.Run([M.Phase(BootPhase.Runtime), M.Call(1, CallOp.GmemFolioZapDirectMap, M.InPud - 4096, 1)]);
        Assert.Equal(Assumptions.NoKnownCaller, inRealm.AssumptionsUsed);
    }

    [Fact]
    public void Gmem_WithoutCanSetDirectMap_LeavesTheFolioMapped()
    {
        var config = M.AllBbml2.With(guestMemfd: true, rodata: RodataMode.NoAlias);
        var m = M.Run(config, M.V("realm-v2"), M.Phase(BootPhase.Runtime),
            M.Call(1, CallOp.GmemFolioZapDirectMap, 2 * M.Mi * 600, 512));
        Assert.Equal(Attr.Valid, LeafAt(m, 2 * M.Mi * 600).Attrs & Attr.Valid);
        Assert.Equal(0, m.Kernel.TablePagesAllocated);
    }
}
