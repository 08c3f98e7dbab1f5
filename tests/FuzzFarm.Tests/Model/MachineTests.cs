using FuzzFarm.Model;
using static FuzzFarm.Tests.Model.M;

namespace FuzzFarm.Tests.Model;

/// <summary>Boot layout, reset in place, determinism and the allocation-free hot path.</summary>
public sealed class MachineTests
{
    private static Leaf LeafAt(Machine m, ulong offset) =>
        m.Kernel.Map.Runs.ToArray().Single(r => r.Start <= offset && offset < r.End);

    [Fact]
    public void MapMem_UsesTheLargestLeavesAlignmentAllows_AndKeepsTheAliasWithoutCont()
    {
        var m = Run(AllBbml2, V("realm-v2"), Phase(BootPhase.MapMem));
        Assert.Equal((Level.Pmd, false), (LeafAt(m, 0).Level, LeafAt(m, 0).Cont));
        Assert.Equal((Level.Pmd, false), (LeafAt(m, 4 * Mi).Level, LeafAt(m, 4 * Mi).Cont));
        Assert.Equal((Level.Pmd, true), (LeafAt(m, 48 * Mi).Level, LeafAt(m, 48 * Mi).Cont));
        Assert.Equal(Level.Pud, LeafAt(m, 3 * G).Level);
        Assert.Equal(4 * G, m.Kernel.Map.End);
    }

    [Fact]
    public void MapMem_DebugPagealloc_PageMapsAllButTheAlias()
    {
        var m = Run(AllBbml2.With(debugPagealloc: true), V("realm-v2"), Phase(BootPhase.MapMem));
        Assert.Equal((Level.Pte, false), (LeafAt(m, 3 * G).Level, LeafAt(m, 3 * G).Cont));
        Assert.Equal(Level.Pmd, LeafAt(m, 4 * Mi).Level);
        Assert.False(m.HasViolation(EnvMode.Strict));
    }

    [Fact]
    public void MapMem_EarlyKfencePool_IsPageMappedInsideBlocks()
    {
        var m = Run(AllBbml2.With(kfence: KfenceMode.Early), V("realm-v2"), Phase(BootPhase.KfenceInit));
        Assert.Equal((Level.Pte, false), (LeafAt(m, 0xe020_0000).Level, LeafAt(m, 0xe020_0000).Cont));
        Assert.Equal((Level.Pmd, false), (LeafAt(m, 0xe000_0000).Level, LeafAt(m, 0xe000_0000).Cont));
        Assert.Equal((Level.Pmd, true), (LeafAt(m, 0xe200_0000).Level, LeafAt(m, 0xe200_0000).Cont));
    }

    [Fact]
    public void Split_OfOnePage_LeavesEveryOtherPageMappedAsBefore()
    {
        var m = Run(AllBbml2, V("realm-v2"), Phase(BootPhase.Runtime), Call(1, CallOp.SetMemoryValid, InPud, enable: false));
        Assert.Equal(Attr.Pxn, LeafAt(m, InPud).Attrs);
        Assert.Equal((Level.Pte, false), (LeafAt(m, InPud).Level, LeafAt(m, InPud).Cont));
        Assert.Equal((Level.Pte, true), (LeafAt(m, InPud + (64 * 1024)).Level, LeafAt(m, InPud + (64 * 1024)).Cont));
        Assert.Equal((Level.Pmd, true), (LeafAt(m, G + (64 * Mi)).Level, LeafAt(m, G + (64 * Mi)).Cont));
        Assert.Equal(Level.Pud, LeafAt(m, 2 * G).Level);
        Assert.Equal(2, m.Kernel.TablePagesAllocated);
        Assert.Equal("", m.Ids());
    }

    [Fact]
    public void Run_IsDeterministicAndResetsInPlace()
    {
        var program = Corpus.Load("Z8").Events.ToArray();
        var machine = new Machine(Z3Machine, V("realm-v2"));
        machine.Run(program);
        var first = machine.Violations.ToArray();
        machine.Run([Phase(BootPhase.Runtime)]);
        Assert.Empty(machine.Violations.ToArray());
        machine.Run(program);
        Assert.Equal(first, machine.Violations.ToArray());
        Assert.Equal(first, Run(Z3Machine, V("realm-v2"), program).Violations.ToArray());
    }

    [Fact]
    public void Run_OfA16EventProgram_AllocatesNothingAfterWarmUp()
    {
        MachineEvent[] program =
        [
            Phase(BootPhase.MemInit),
            Call(1, CallOp.SetMemoryRo, InPud, stop: StopSpec.AtPoint(Point.MutexLock)),
            Phase(BootPhase.SmpInit),
            MachineEvent.CpuUp(2, 1, StopSpec.AtPoint(Point.SecondaryMmuOn)),
            MachineEvent.StepTask(1),
            MachineEvent.RunTask(2),
            MachineEvent.RunTask(1),
            Call(3, CallOp.SetDirectMapInvalidNoflush, InContPmd),
            Call(4, CallOp.SetMemoryValid, G + (8 * Mi), pages: 16, enable: false),
            Phase(BootPhase.Finalize),
            Call(5, CallOp.SetMemoryRw, InPud, cpu: 1),
            Phase(BootPhase.Repaint),
            Call(6, CallOp.SetDirectMapDefaultNoflush, InContPmd, cpu: 1),
            Phase(BootPhase.Runtime),
            MachineEvent.CpuDown(7, 1),
            Call(8, CallOp.SetMemoryValid, 2 * G, pages: 512, enable: true),
        ];
        Assert.Equal(16, program.Length);
        var machine = new Machine(new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(false), CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true)]), V("realm-v2"));
        for (var i = 0; i < 50; i++) machine.Run(program);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) machine.Run(program);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(machine.Violations.Length > 0);
    }
}
