using FuzzFarm.Model;
using FuzzFarm.Tests.Planted;
using static FuzzFarm.Tests.Model.M;

namespace FuzzFarm.Tests.Model;

/// <summary>Resumable kernel calls: stops, blocking on locks, drain, deadlock, assumptions.</summary>
public sealed class StepMachineTests
{
    /// <summary>Captures machine state at the start of chosen events.</summary>
    private sealed class Probe(Kernel kernel, Func<Kernel, string> read) : IKernelObserver
    {
        public Dictionary<int, string> AtEvent { get; } = [];

        public void OnEvent(int index, in MachineEvent e) => AtEvent[index] = read(kernel);

        public void OnDrain(int eventIndex) => AtEvent[eventIndex] = read(kernel);

        public void OnPhase(int eventIndex, BootPhase phase) { }

        public void OnPrimitive(int eventIndex, byte task, byte cpu, Point point, long value) { }

        public void OnTaskDone(int eventIndex, byte task, byte cpu, int result) { }

        public void OnNote(int eventIndex, byte cpu, string text) { }

        public void OnViolation(in Violation violation) { }
    }

    private static Dictionary<int, string> Observe(MachineConfig config, SplitVariant v, Func<Kernel, string> read, params MachineEvent[] events)
    {
        var machine = new Machine(config, v);
        var probe = new Probe(machine.Kernel, read);
        machine.Kernel.Observer = probe;
        machine.Run(events);
        return probe.AtEvent;
    }

    [Fact]
    public void HeldReadLock_MakesCpuUpWaitUntilTheSplitIsDone()
    {
        var seen = Observe(Z3Machine, V("realm-v2-trylock-held"), k => $"mmu1={k.CpuMmuOn(1)} online={k.OnlineMask}",
            Phase(BootPhase.SmpInit),
            Call(1, CallOp.SetMemoryRo, InPud, stop: StopSpec.AtPoint(Point.MutexLock)),
            MachineEvent.CpuUp(2, 1),
            MachineEvent.RunTask(1));
        Assert.Equal("mmu1=False online=1", seen[3]);
        Assert.Equal("mmu1=False online=1", seen[4]);
    }

    [Fact]
    public void UnheldTrylock_LetsCpuUpRunInsideTheWindow()
    {
        var seen = Observe(Z3Machine, V("realm-v2-trylock"), k => $"mmu1={k.CpuMmuOn(1)}",
            Phase(BootPhase.SmpInit),
            Call(1, CallOp.SetMemoryRo, InPud, stop: StopSpec.AtPoint(Point.MutexLock)),
            MachineEvent.CpuUp(2, 1),
            MachineEvent.RunTask(1));
        Assert.Equal("mmu1=True", seen[3]);
    }

    [Fact]
    public void Step_AdvancesOnePreemptionPointAtATime()
    {
        var seen = Observe(Z3Machine, V("realm-v2"), k => $"mmu1={k.CpuMmuOn(1)} online1={k.CpuOnline(1)}",
            Phase(BootPhase.SmpInit),
            MachineEvent.CpuUp(1, 1, StopSpec.After(1)),
            MachineEvent.StepTask(1),
            MachineEvent.StepTask(1),
            MachineEvent.StepTask(1, StopSpec.AtPoint(Point.SetCpuOnline)));
        Assert.Equal("mmu1=False online1=False", seen[2]);
        Assert.Equal("mmu1=True online1=False", seen[3]);
        Assert.Equal("mmu1=True online1=False", seen[4]);
        Assert.Equal("mmu1=True online1=True", seen[5]);
    }

    [Fact]
    public void EndOfProgram_DrainsEveryInFlightCall()
    {
        var machine = Run(Z3Machine, V("realm-v2"),
            Phase(BootPhase.SmpInit), MachineEvent.CpuUp(1, 1, StopSpec.AtPoint(Point.SecondaryMmuOn)));
        Assert.True(machine.Kernel.CpuOnline(1));
        Assert.True(machine.Kernel.LocksFree);
    }

    [Fact]
    public void AbbaLockOrder_DeadlockIsDetectedNotHung()
    {
        var config = new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true)], bootCpus: 2);
        var machine = Run(config, new AbbaLocks(),
            Phase(BootPhase.Runtime),
            Call(1, CallOp.SetDirectMapInvalidNoflush, InPud, stop: StopSpec.AtPoint(Point.CpusReadLock)),
            Call(2, CallOp.SetDirectMapInvalidNoflush, InPud, cpu: 1, stop: StopSpec.AtPoint(Point.MutexLock)),
            MachineEvent.CpuUp(3, 2),
            MachineEvent.RunTask(2),
            MachineEvent.RunTask(1));
        var details = machine.Violations.ToArray().Where(v => v.Invariant == Invariant.LockOrder).Select(v => v.Detail).ToList();
        Assert.Contains("cpu_hotplug_lock taken with pgtable_split_lock held", details);
        Assert.Equal("waits forever in a lock cycle", machine.First(Invariant.HungTask).Detail);
    }

    [Fact]
    public void StopMachineWhileASplitterSleepsHoldingTheMutex_IsNotALockOrderViolation()
    {
        // A task that sleeps holding pgtable_split_lock does not keep stop_machine()'s stoppers from running, and
        // the repaint takes no lock: the old "somebody holds it" check fired on this legal state. (A kthread during
        // smp_init: start_kernel's own calls return before the boot goes on.)
        var machine = Run(Z3Machine, V("realm-v2"),
            Phase(BootPhase.SmpInit),
            Call(1, CallOp.SetMemoryRo, InPud, stop: StopSpec.AtPoint(Point.MutexLock)),
            Phase(BootPhase.Finalize));
        Assert.DoesNotContain(machine.Violations.ToArray(), v => v.Invariant == Invariant.LockOrder);
    }

    [Fact]
    public void StepOnAFinishedOrUnknownTask_IsSkippedNotAnError()
    {
        var machine = new Machine(AllBbml2, V("realm-v2"));
        var summary = machine.Run([Phase(BootPhase.Runtime), Call(1, CallOp.SetMemoryValid, InPud, enable: true), MachineEvent.StepTask(1), MachineEvent.RunTask(1)]);
        Assert.Equal(2, summary.SkippedEvents);
    }

    [Fact]
    public void LateCpuWithoutBbml2_IsRefusedButTranslatesMeanwhile()
    {
        var config = new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(false)], bootCpus: 2);
        var machine = Run(config, V("realm-v2-trylock-held"),
            Phase(BootPhase.Runtime),
            MachineEvent.CpuUp(1, 2, StopSpec.AtPoint(Point.SecondaryMmuOn)),
            Call(2, CallOp.SetDirectMapInvalidNoflush, InPud));
        var conflict = machine.First(Invariant.TlbConflict);
        Assert.Equal(2, conflict.Cpu);
        Assert.Equal(Assumptions.LateHotplug, conflict.Assumptions);
        Assert.False(machine.Kernel.CpuOnline(2));
    }
}
