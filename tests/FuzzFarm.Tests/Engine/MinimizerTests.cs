using FuzzFarm.Engine;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>The minimizer shrinks a padded Z3 back to its three-event story and keeps the signature.</summary>
public sealed class MinimizerTests
{
    /// <summary>Z3 inside ten events that do not prevent it: earlier phases, completed and resumed calls in other 1 GiB blocks, events after it.</summary>
    private static readonly MachineEvent[] _padded = E.Parse(E.Z3Machine,
        "phase mem-init",
        "call t1 cpu=0 ctx=task set_memory_rw addr=ram+0x10000000",
        "call t2 cpu=0 ctx=task set_memory_x addr=ram+0x8000000 stop=mutex_lock",
        "run t2",
        "phase kfence-init",
        "call t3 cpu=0 ctx=task set_memory_nx addr=ram+0x20000000 pages=4",
        "phase smp-init",
        "cpu-up t4 cpu=1 stop=secondary_mmu_on",
        "call t5 cpu=0 ctx=task set_memory_ro addr=ram+0x40201000",
        "run t4",
        "call t6 cpu=0 ctx=task set_memory_rw addr=ram+0x40201000",
        "phase runtime",
        "call t7 cpu=1 ctx=task set_memory_ro addr=ram+0x30000000");

    private static Minimizer NewMinimizer() => new(new Machine(E.Z3Machine, E.V("realm-v2")), EnvMode.Adversarial);

    [Fact]
    public void PaddedZ3_MinimizesToTheThreeEventStory_WhichStillReproduces()
    {
        var signature = E.Z3Signature;
        Assert.Equal(13, _padded.Length);
        Assert.True(E.Shows(E.Z3Machine, E.V("realm-v2"), _padded, signature), "the padding must not prevent the bug");

        var minimizer = NewMinimizer();
        var result = minimizer.Minimize(_padded, signature);

        Assert.True(result.Length == 3, E.Text(E.Z3Machine, result));
        Assert.Equal(MachineEvent.PhaseTo(BootPhase.SmpInit), result[0]);
        Assert.Equal(EventKind.CpuUp, result[1].Kind);
        Assert.Equal(1, result[1].Cpu);
        Assert.Equal(StopSpec.AtPoint(Point.SecondaryMmuOn), result[1].Stop);
        Assert.Equal(EventKind.Call, result[2].Kind);
        Assert.Equal(CallOp.SetMemoryRo, result[2].Op);
        Assert.Equal(0, result[2].Cpu);
        Assert.Equal(E.Z3Page, result[2].Page);
        Assert.True(minimizer.Tests > 0);
        Assert.True(E.Shows(E.Z3Machine, E.V("realm-v2"), result, signature));
        Assert.True(minimizer.Reproduces(result, signature));
    }

    [Fact]
    public void MinimizedZ3_IsOneMinimal()
    {
        var signature = E.Z3Signature;
        var minimizer = NewMinimizer();
        var result = minimizer.Minimize(_padded, signature);
        var buffer = new ProgramBuffer();
        for (var i = 0; i < result.Length; i++)
        {
            MachineEvent[] without = [.. result[..i], .. result[(i + 1)..]];
            Assert.False(E.Shows(E.Z3Machine, E.V("realm-v2"), without, signature), $"still reproduces without event {i}");

            // Repaired (as the minimizer sees it): either no shorter, or the bug is gone.
            buffer.Load(without);
            buffer.Repair(E.Z3Machine);
            var repaired = buffer.Events.ToArray();
            Assert.True(repaired.Length >= result.Length || !E.Shows(E.Z3Machine, E.V("realm-v2"), repaired, signature),
                $"a shorter program reproduces: {E.Text(E.Z3Machine, repaired)}");
        }
    }

    [Fact]
    public void NonReproducingInput_IsReturnedRepaired()
    {
        var z8 = E.Events("Z8");
        var minimizer = NewMinimizer();
        // Z8 shows an online-CPU conflict, not Z3's bring-up signature.
        Assert.False(minimizer.Reproduces(z8, E.Z3Signature));
        Assert.Equal(z8, minimizer.Minimize(z8, E.Z3Signature));
    }

    [Fact]
    public void StrictEnvironment_DoesNotAcceptTheAsyncDuringSmpStory()
    {
        var minimizer = new Minimizer(new Machine(E.Z3Machine, E.V("realm-v2")), EnvMode.Strict);
        Assert.False(minimizer.Reproduces(E.Events("Z3"), E.Z3Signature));
    }

    [Fact]
    public void LongReproducingInput_IsMinimizedNotTruncated()
    {
        var program = LongZ3();
        Assert.True(E.Shows(E.Z3Machine, E.V("realm-v2"), program, E.Z3Signature));
        var result = NewMinimizer().Minimize(program, E.Z3Signature);
        Assert.True(E.Shows(E.Z3Machine, E.V("realm-v2"), result, E.Z3Signature), E.Text(E.Z3Machine, result));
        Assert.Equal(3, result.Length);
    }

    /// <summary>Z3 after 65 events that do nothing (runs of a task that already returned): 68 events.</summary>
    internal static MachineEvent[] LongZ3()
    {
        var head = E.Parse(E.Z3Machine, "phase mem-init", "call t1 cpu=0 ctx=task set_memory_rw addr=ram+0x10000000");
        var z3 = E.Events("Z3").Select(e => e.StartsTask ? e with { Task = (byte)(e.Task + 1) } : e);
        return [.. head, .. Enumerable.Repeat(MachineEvent.RunTask(1), 63), .. z3];
    }
}
