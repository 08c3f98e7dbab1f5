using FuzzFarm.Model;
using FuzzFarm.Tests.Planted;
using static FuzzFarm.Tests.Model.M;

namespace FuzzFarm.Tests.Model;

/// <summary>
/// Execution only as the kernel allows it (precision issue §2), each rule with a program that the old model ran
/// and reported on: an atomic task never sleeps, start_kernel's calls return before the boot goes on, no hot-plug
/// between FINALIZE and the repaint, only boot CPUs before FINALIZE, leaked locks hang their next taker, and a map
/// invariant is reported once, at the write that broke it.
/// </summary>
public sealed class ExecutionRulesTests
{
    private static readonly MachineConfig _dpa = AllBbml2.With(debugPagealloc: true);

    [Fact]
    public void AtomicTask_OnAContendedMutex_IsScheduleWhileAtomic_AndDoesNotSleepThereToSplitLater()
    {
        // Task 1 (task context) holds the mutex, parked at its table allocation; task 2 frees a page from a softirq.
        var machine = Run(AllBbml2, V("a166563"),
            Phase(BootPhase.Runtime),
            Call(1, CallOp.SetMemoryRo, InPud, stop: StopSpec.AtPoint(Point.PgtableAlloc)),
            Call(2, CallOp.SetMemoryValid, InContPmd, cpu: 1, ctx: CallContext.Atomic));
        var sleeps = machine.Violations.ToArray().Where(v => v.Invariant == Invariant.SleepInAtomic).ToList();
        Assert.NotEmpty(sleeps);
        Assert.All(sleeps, v => Assert.Equal(Point.MutexLock, v.Where));
        // Had task 2 slept on the mutex, it would have woken when task 1 released it and allocated a table in atomic
        // context (a second report, at pgtable_alloc).
        Assert.DoesNotContain(machine.Violations.ToArray(), v => v.TaskLabel == 2 && v.Where == Point.PgtableAlloc);
        Assert.DoesNotContain(machine.Violations.ToArray(), v => v.Invariant == Invariant.HungTask);
    }

    [Fact]
    public void StartKernelsCall_ReturnsBeforeTheBootGoesOn_SoItIsNeverPreemptedAcrossAPhase()
    {
        // Found by a campaign before this rule: realm-v1's swiotlb decrypt at mem_init, "parked" in an atomic
        // context until smp_init, then reported as sleeping in atomic context with preempted-call.
        var realm = new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true)],
            rodata: RodataMode.Off, realm: true);
        var machine = Run(realm, V("realm-v1"),
            Phase(BootPhase.MemInit),
            Call(1, CallOp.SetMemoryDecrypted, 0x36d0_0000, pages: 29, ctx: CallContext.Atomic, stop: StopSpec.AtPoint(Point.SplitContPmd)),
            Phase(BootPhase.SmpInit));
        Assert.DoesNotContain(machine.Violations.ToArray(), v => (v.Assumptions & Assumptions.PreemptedCall) != 0);
        Assert.DoesNotContain(machine.Violations.ToArray(), v => v.Invariant == Invariant.SleepInAtomic);
        Span<ActiveTask> active = stackalloc ActiveTask[8];
        Assert.Equal(0, machine.Kernel.ActiveTasks(active));
    }

    [Fact]
    public void NoHotplugBetweenFinalizeAndRepaint()
    {
        var config = new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(false)], bootCpus: 1);
        var machine = new Machine(config, V("realm-v2"));
        var summary = machine.Run([Phase(BootPhase.Finalize), MachineEvent.CpuUp(1, 1)]);
        Assert.Equal(1, summary.SkippedEvents);
        Assert.False(machine.Kernel.CpuMmuOn(1));

        var later = new Machine(config, V("realm-v2"));
        Assert.Equal(0, later.Run([Phase(BootPhase.Runtime), MachineEvent.CpuUp(1, 1)]).SkippedEvents);
    }

    [Fact]
    public void OnlyBootCpusComeUpBeforeFinalize()
    {
        var config = new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(false)], bootCpus: 2);
        var machine = new Machine(config, V("realm-v2"));
        var summary = machine.Run([Phase(BootPhase.SmpInit), MachineEvent.CpuUp(1, 2), MachineEvent.CpuUp(2, 1)]);
        Assert.Equal(1, summary.SkippedEvents);
        Assert.False(machine.Kernel.CpuMmuOn(2));
        Assert.True(machine.Kernel.CpuOnline(1));
    }

    [Fact]
    public void ALockLeakedByAReturnedCall_HangsItsNextTaker()
    {
        var machine = Run(AllBbml2, new LeaksMutex(),
            Phase(BootPhase.Runtime),
            Call(1, CallOp.SetDirectMapInvalidNoflush, InPud),
            Call(2, CallOp.SetDirectMapInvalidNoflush, InContPmd, cpu: 1));
        Assert.Equal("pgtable_split_lock held at return", machine.First(Invariant.LockOrder).Detail);
        var hung = machine.First(Invariant.HungTask);
        Assert.Equal(2, hung.TaskLabel);
        Assert.False(machine.Kernel.LocksFree);
    }

    [Fact]
    public void ABrokenContGroup_IsReportedOnce_AtTheWriteThatBrokeIt()
    {
        MachineEvent[] program =
        [
            Phase(BootPhase.Runtime),
            Call(1, CallOp.SetMemoryValid, InContPmd + (64 * 4096), enable: true),
            Call(2, CallOp.SetMemoryValid, 48 * Mi, pages: 2),
            Call(3, CallOp.SetMemoryRo, 200 * Mi, pages: 2),
            Call(4, CallOp.SetMemoryRw, 300 * Mi, pages: 4),
        ];
        var machine = Run(AllBbml2, V("canary"), program);
        var broken = machine.Violations.ToArray().Where(v => v.Invariant == Invariant.ContInconsistent).ToList();
        var v = Assert.Single(broken);
        Assert.Equal(2, v.EventIndex);
    }
}
