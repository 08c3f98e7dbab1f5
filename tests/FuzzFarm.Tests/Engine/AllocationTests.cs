using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>The hot path does not allocate: the executor not at all, the whole fuzz loop only when it keeps something.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Executor_RunningDecodedPrograms_AllocatesNothing()
    {
        var machine = new Machine(E.Z3Machine, E.V("realm-v2"));
        var executor = new MachineExecutor(machine, new ViolationObjective(EnvMode.Adversarial), new ModelStateObserver());
        var rng = new Prng(16);
        var bytes = new byte[256];
        var programs = new MachineEvent[100][];
        for (var i = 0; i < programs.Length; i++)
        {
            foreach (ref var b in bytes.AsSpan()) b = rng.NextByte();
            var p = new MachineEvent[16];
            Assert.Equal(16, BinaryDecoder.DecodeInto(bytes, E.Z3Machine, p));
            programs[i] = p;
        }

        var violations = 0;
        for (var i = 0; i < 3 * programs.Length; i++)
        {
            if (executor.Run(programs[i % programs.Length]) == ExitKind.Violation) violations++;
        }

        Assert.True(violations > 0, "the programs should exercise the violation path too");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++) executor.Run(programs[i % programs.Length]);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void FuzzLoop_OnceTheCorpusHasSettled_AllocatesAlmostNothingPerExecution()
    {
        // Strict env: violations needing an assumption are not minimized, so after the warm-up only corpus additions allocate.
        var session = new FuzzSession(new FuzzOptions { Variant = E.V("realm-v2"), Machine = E.Z3Machine, Seed = 5 });
        session.RunSlice(10_000);
        var corpus = session.CorpusCount;
        var findings = session.Findings.Count;

        var before = GC.GetAllocatedBytesForCurrentThread();
        session.RunSlice(20_000);
        var perExecution = (GC.GetAllocatedBytesForCurrentThread() - before) / 20_000.0;

        Assert.True(perExecution < 64,
            $"{perExecution:F1} B/exec (corpus {corpus} -> {session.CorpusCount}, findings {findings} -> {session.Findings.Count})");
    }
}
