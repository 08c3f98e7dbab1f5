using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Model;

/// <summary>
/// mm_core_init()'s order inside P7 as state a version may read: arm64 mem_init() sets page_alloc_available, then
/// decrypts the swiotlb bounce buffer (realm), then kmem_cache_init() makes slab_is_available() true.
/// </summary>
public sealed class SlabStepTests
{
    /// <summary>realm-v2 that also reads slab_is_available() first (what a version would read to tell the steps apart).</summary>
    private sealed class ReadsSlab : SplitVariant
    {
        public override string Id => "test-reads-slab";
        public override string Provenance => "test";
        public override string Summary => "reads page_alloc_available and slab_is_available, then realm-v2";

        public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
        {
            _ = k.PageAllocAvailable;
            _ = k.SlabIsAvailable();
            return VariantCatalog.Get("realm-v2").SplitKernelLeafMapping(k, start, end);
        }
    }

    /// <summary>Collects the logged (page_alloc_available, slab_is_available) reads, with the phase they were made in.</summary>
    private sealed class Reads(Kernel kernel) : IKernelObserver
    {
        public List<string> Seen { get; } = [];

        public void OnPrimitive(int eventIndex, byte task, byte cpu, Point point, long value)
        {
            if (point is Point.PageAllocAvailable or Point.SlabIsAvailable)
                Seen.Add($"{kernel.Phase}:t{task}:{Points.Name(point)}={value}");
        }

        public void OnEvent(int index, in MachineEvent e) { }

        public void OnDrain(int eventIndex) { }

        public void OnPhase(int eventIndex, BootPhase phase) { }

        public void OnTaskDone(int eventIndex, byte task, byte cpu, int result) { }

        public void OnNote(int eventIndex, byte cpu, string text) { }

        public void OnViolation(in Violation violation) { }
    }

    private static MachineConfig RealmWithSwiotlb => M.AllBbml2.With(realm: true, swiotlbOffset: M.G, swiotlbSize: 4 * M.Mi);

    [Fact]
    public void MemInit_SwiotlbDecryptSeesThePageAllocatorButNoSlab_LaterCallsSeeBoth()
    {
        var machine = new Machine(RealmWithSwiotlb, new ReadsSlab());
        var reads = new Reads(machine.Kernel);
        machine.Kernel.Observer = reads;
        machine.Run([M.Phase(BootPhase.MmPreinit), M.Call(1, CallOp.SetMemoryNx, M.InPud), M.Phase(BootPhase.KfenceInit),
            M.Call(2, CallOp.SetMemoryNx, M.InPud)]);

        Assert.Contains("MmPreinit:t1:page_alloc_available=0", reads.Seen);
        Assert.Contains("MmPreinit:t1:slab_is_available=0", reads.Seen);
        Assert.Contains("MemInit:t0:page_alloc_available=1", reads.Seen); // swiotlb_update_mem_attributes(), implicit
        Assert.Contains("MemInit:t0:slab_is_available=0", reads.Seen);
        Assert.DoesNotContain("MemInit:t0:slab_is_available=1", reads.Seen);
        Assert.Contains("KfenceInit:t2:slab_is_available=1", reads.Seen);
    }

    [Fact]
    public void AResumedCall_ReplaysTheSlabReadItLogged_InsteadOfReadingAgain()
    {
        var machine = new Machine(M.AllBbml2, new ReadsSlab());
        var reads = new Reads(machine.Kernel);
        machine.Kernel.Observer = reads;
        machine.RunPrefixOnly([M.Phase(BootPhase.Runtime), M.Call(1, CallOp.SetMemoryRo, M.InPud, stop: StopSpec.AtPoint(Point.MutexLock))]);
        Assert.Equal(1, machine.Kernel.ActiveTasks(new ActiveTask[Kernel.MaxTasks])); // parked at mutex_lock
        machine.Advance([MachineEvent.RunTask(1)], 2);
        Assert.Equal(0, machine.Kernel.ActiveTasks(new ActiveTask[Kernel.MaxTasks]));

        // Logged once, live, before the stop; the resumed run replays it from the task's log (no second live read).
        Assert.Equal(2, reads.Seen.Count(r => r == "Runtime:t1:slab_is_available=1")); // the linear alias's split, then the vmalloc one
        Assert.Equal(reads.Seen.Count(r => r.Contains("page_alloc_available", StringComparison.Ordinal)), reads.Seen.Count(r => r.Contains("slab", StringComparison.Ordinal)));
    }

    [Fact]
    public void SlabState_IsInTheStateHashAndInSnapshots()
    {
        var events = new[] { M.Phase(BootPhase.MemblockFreeAll) };
        var machine = new Machine(M.AllBbml2, new ReadsSlab());
        machine.RunPrefixOnly(events);
        var before = machine.Kernel.StateHash();
        var snapshot = new KernelSnapshot();
        machine.Save(snapshot);
        machine.Advance([M.Phase(BootPhase.MemInit)], 1);
        Assert.True(machine.Kernel.SlabAvailableState);
        machine.Restore(snapshot);
        Assert.False(machine.Kernel.SlabAvailableState);
        Assert.Equal(before, machine.Kernel.StateHash());
        machine.Advance([M.Phase(BootPhase.MemInit)], 1);
        var saved = new KernelSnapshot();
        machine.Save(saved);
        machine.Restart();
        machine.Restore(saved);
        Assert.True(machine.Kernel.SlabAvailableState);
    }

    [Fact]
    public void NoShippedVersionReadsSlabIsAvailable()
    {
        // Existing versions' verdicts must not move: none of them reads the new primitive on a realm boot with a decrypt.
        foreach (var variant in VariantCatalog.All)
        {
            var machine = new Machine(RealmWithSwiotlb, variant);
            var reads = new Reads(machine.Kernel);
            machine.Kernel.Observer = reads;
            machine.Run([M.Phase(BootPhase.Runtime), M.Call(1, CallOp.SetMemoryDecrypted, M.InPud)]);
            Assert.DoesNotContain(reads.Seen, s => s.Contains("slab_is_available", StringComparison.Ordinal));
        }
    }
}
