using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary><see cref="ProgramBuffer.Repair(MachineConfig)"/> turns what the mutators leave into a valid program.</summary>
public sealed class ProgramBufferTests
{
    private static readonly MachineEvent _z3Call =
        MachineEvent.Call(2, 0, CallContext.Task, CallOp.SetMemoryRo, E.Z3Page);

    private static (MachineEvent[] Events, int Dropped) Repair(MachineConfig machine, params MachineEvent[] events)
    {
        var buffer = new ProgramBuffer();
        buffer.Load(events);
        var dropped = buffer.Repair(machine);
        var result = buffer.Events.ToArray();
        Assert.Null(new EventProgram(machine, result).Validate());
        return (result, dropped);
    }

    [Fact]
    public void DuplicatedTaskStart_GetsAFreshLabel_AndLaterUsesFollowTheLatestDefinition()
    {
        var call = MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, E.Z3Page, stop: StopSpec.AtPoint(Point.MutexLock));
        var (events, dropped) = Repair(E.Z3Machine,
            MachineEvent.PhaseTo(BootPhase.SmpInit),
            call,
            call, // the same start again (DuplicateEvent's output)
            MachineEvent.RunTask(1));

        Assert.Equal(0, dropped);
        Assert.Equal(4, events.Length);
        Assert.Equal(call, events[1]);
        Assert.Equal(call with { Task = 2 }, events[2]);
        Assert.Equal(MachineEvent.RunTask(2), events[3]);
    }

    [Fact]
    public void Labels_AreRenumberedInOrderOfDefinition()
    {
        var (events, dropped) = Repair(E.Z3Machine,
            MachineEvent.PhaseTo(BootPhase.SmpInit),
            MachineEvent.CpuUp(200, 1, StopSpec.AtPoint(Point.SecondaryMmuOn)),
            _z3Call with { Task = 255 },
            MachineEvent.RunTask(200));

        Assert.Equal(0, dropped);
        Assert.Equal([1, 2, 1], events.Where(e => e.Task != 0).Select(e => (int)e.Task));
    }

    [Fact]
    public void CpuUpBeforeSmpInit_GetsThePhaseEventInsertedBeforeIt()
    {
        var up = MachineEvent.CpuUp(1, 1, StopSpec.AtPoint(Point.SecondaryMmuOn));
        var (events, dropped) = Repair(E.Z3Machine, MachineEvent.PhaseTo(BootPhase.MemInit), up, _z3Call);

        Assert.Equal(0, dropped);
        Assert.Equal([MachineEvent.PhaseTo(BootPhase.MemInit), MachineEvent.PhaseTo(BootPhase.SmpInit), up, _z3Call], events);
    }

    [Fact]
    public void SecondaryCpuCallAtTheStart_GetsSmpInitFirst()
    {
        var call = _z3Call with { Task = 1, Cpu = 1 };
        var (events, dropped) = Repair(E.Z3Machine, call);

        Assert.Equal(0, dropped);
        Assert.Equal([MachineEvent.PhaseTo(BootPhase.SmpInit), call], events);
    }

    [Fact]
    public void InvalidEvents_AreDroppedAndCounted()
    {
        var (events, dropped) = Repair(E.Z3Machine,
            MachineEvent.PhaseTo(BootPhase.SmpInit),
            MachineEvent.PhaseTo(BootPhase.MemInit), // phases only go forward
            MachineEvent.Call(1, 7, CallContext.Task, CallOp.SetMemoryRo, E.Z3Page), // no CPU 7 on two CPUs
            MachineEvent.RunTask(1), // refers to the dropped call
            MachineEvent.StepTask(9), // never defined
            _z3Call with { Task = 3 });

        Assert.Equal(4, dropped);
        Assert.Equal([MachineEvent.PhaseTo(BootPhase.SmpInit), _z3Call with { Task = 1 }], events);
    }

    [Fact]
    public void ValidProgram_IsUnchanged()
    {
        var z8 = E.Events("Z8");
        var (events, dropped) = Repair(E.Z3Machine, z8);
        Assert.Equal(0, dropped);
        Assert.Equal(z8, events);
    }

    [Fact]
    public void BoundedRepair_CutsVmallocCallsTo32Pages_AndLeavesOtherOpsAlone()
    {
        var buffer = new ProgramBuffer();
        var ro = MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0x100, 512);
        var valid = MachineEvent.Call(2, 0, CallContext.Task, CallOp.SetMemoryValid, 0x100, 512);
        buffer.Load([MachineEvent.PhaseTo(BootPhase.MemInit), ro, valid]);
        Assert.Equal(0, buffer.Repair(E.Z3Machine, bounded: true));
        Assert.Equal(ProgramBuffer.MaxVmallocPages, buffer[1].Pages);
        Assert.Equal(512, buffer[2].Pages);

        buffer.Load([MachineEvent.PhaseTo(BootPhase.MemInit), ro]);
        buffer.Repair(E.Z3Machine);
        Assert.Equal(512, buffer[1].Pages);
    }
}
