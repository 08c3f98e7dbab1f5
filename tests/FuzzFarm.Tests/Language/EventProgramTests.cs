using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Language;

public sealed class EventProgramTests
{
    private static readonly MachineConfig _plain = LanguageFixtures.Plain;

    [Fact]
    public void Equality_ComparesEveryField()
    {
        var a = new EventProgram(_plain, [MachineEvent.PhaseTo(BootPhase.MapMem)], "v", EnvMode.Strict, 1);
        var same = new EventProgram(MachineConfig.Uniform(4, true), [MachineEvent.PhaseTo(BootPhase.MapMem)], "v", EnvMode.Strict, 1);
        Assert.Equal(a, same);
        Assert.Equal(a.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(a, a.WithEvents([MachineEvent.PhaseTo(BootPhase.RsiInit)]));
        Assert.NotEqual(a, a.WithMachine(MachineConfig.Uniform(4, false)));
        Assert.NotEqual(a, new EventProgram(_plain, a.Events, "w", EnvMode.Strict, 1));
        Assert.NotEqual(a, new EventProgram(_plain, a.Events, "v", EnvMode.Adversarial, 1));
        Assert.NotEqual(a, new EventProgram(_plain, a.Events, "v", EnvMode.Strict, 2));
        Assert.NotEqual(a, new EventProgram(_plain, a.Events, "v", EnvMode.Strict));
        Assert.False(a.Equals(null));
    }

    [Fact]
    public void DefaultEvents_AreEmpty()
    {
        var program = new EventProgram(_plain, default(System.Collections.Immutable.ImmutableArray<MachineEvent>));
        Assert.Empty(program.Events);
        Assert.Equal(new EventProgram(_plain, []), program);
    }

    [Fact]
    public void Validate_NamesTheEvent()
    {
        var program = new EventProgram(
            _plain,
            [MachineEvent.PhaseTo(BootPhase.SmpInit), MachineEvent.PhaseTo(BootPhase.MapMem)]);
        var problem = program.Validate();
        Assert.NotNull(problem);
        Assert.StartsWith("event 1: phase map-mem is out of order", problem, StringComparison.Ordinal);
        var e = Assert.Throws<InvalidOperationException>(program.DebugValidate);
        Assert.Contains("event 1:", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public void Validate_RejectsEventsOutsideTheRules(MachineEvent ev, string word)
    {
        var problem = new EventProgram(_plain, [ev]).Validate();
        Assert.NotNull(problem);
        Assert.StartsWith("event 0: ", problem, StringComparison.Ordinal);
        Assert.Contains(word, problem, StringComparison.Ordinal);
    }

    public static TheoryData<MachineEvent, string> InvalidEvents => new()
    {
        { new MachineEvent((EventKind)9), "unknown event kind" },
        { new MachineEvent(EventKind.Phase, BootPhase.MapMem, Task: 1), "field" },
        { new MachineEvent(EventKind.Phase, (BootPhase)13), "unknown phase" },
        { new MachineEvent(EventKind.Phase, BootPhase.MapMem, Stop: StopSpec.After(1)), "no stop" },
        { new MachineEvent(EventKind.Run, Task: 1, Stop: StopSpec.After(1)), "no stop" },
        { MachineEvent.Call(1, 0, CallContext.Task, (CallOp)TraceNames.OpCount, 0), "unknown operation" },
        { MachineEvent.Call(1, 0, (CallContext)2, CallOp.SetMemoryRo, 0), "context" },
        { MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0, 0), "pages=0" },
        { MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0x100000), "outside RAM" },
        { MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0) with { Phase = BootPhase.MapMem }, "field" },
        { MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0, stop: new StopSpec(StopKind.AtPoint, Point.PudLeaf, 0)), "stop" },
        { MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0, stop: new StopSpec(StopKind.AfterCount, Point.None, 0)), "stop" },
        { MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0, stop: new StopSpec((StopKind)3, Point.None, 1)), "stop" },
        { MachineEvent.Call(1, 0, CallContext.Task, CallOp.KfenceInitLate, 0, 1), "no address" },
        { MachineEvent.StepTask(0), "out of range" },
    };

    [Fact]
    public void HeaderFields_AreValidated()
    {
        Assert.Contains("variant", new EventProgram(_plain, [], variant: "Bad").Validate(), StringComparison.Ordinal);
        Assert.Contains("env", new EventProgram(_plain, [], env: (EnvMode)7).Validate(), StringComparison.Ordinal);
        Assert.Contains("revision", new EventProgram(_plain, [], formatRevision: EventProgram.CurrentRevision + 1).Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Writer_RefusesInvalidPrograms() =>
        Assert.Throws<ArgumentException>(() => TraceWriter.Write(new EventProgram(_plain, [MachineEvent.RunTask(1)])));

    [Fact]
    public void Validator_TracksPhaseAndLabels()
    {
        var v = new EventValidator(_plain);
        Assert.Equal(BootPhase.EarlyParam, v.Phase);
        Assert.True(v.TryAccept(MachineEvent.PhaseTo(BootPhase.SmpInit)));
        Assert.True(v.TryAccept(MachineEvent.CpuUp(42, 3)));
        Assert.False(v.TryAccept(MachineEvent.CpuUp(42, 2)));
        Assert.Equal(EventViolation.TaskAlreadyDefined, v.Check(MachineEvent.CpuUp(42, 2)));
        Assert.True(v.IsDefined(42));
        Assert.False(v.IsDefined(41));
        Assert.Equal((BootPhase.SmpInit, 2, 1), (v.Phase, v.Count, v.TaskCount));
    }
}
