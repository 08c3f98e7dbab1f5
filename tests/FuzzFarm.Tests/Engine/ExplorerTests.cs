using FuzzFarm.Engine;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>Bounded exhaustive exploration: minimal-depth counterexamples, and a deterministic result.</summary>
public sealed class ExplorerTests
{
    private static ExploreOptions Options(string variant, int depth, int? workers = null)
    {
        var options = new ExploreOptions
        {
            Variant = E.V(variant), Machine = E.Z3Machine, Env = EnvMode.Adversarial, Depth = depth, Invariants = [Invariant.TlbConflict],
        };
        return workers is { } w ? options with { Workers = w } : options;
    }

    [Fact]
    public void RealmV2_BringUpConflict_IsFoundAtDepth3_AndReplays()
    {
        var result = new Explorer(Options("realm-v2", 4)).Run();

        Assert.True(result.Complete);
        Assert.False(result.Proved);
        Assert.Equal(3, result.DepthReached);
        Assert.NotEmpty(result.Violations);
        Assert.All(result.Violations, f => Assert.Equal(Invariant.TlbConflict, f.Signature.Invariant));
        var bringUp = result.Violations.Where(f => f.Signature.Detail.Contains("in bring-up", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(bringUp);
        foreach (var f in bringUp)
        {
            Assert.Equal(3, f.Program.Events.Length);
            Assert.Null(f.Program.Validate());
            Assert.True(ReplayGate.Confirms(f.Program, E.V("realm-v2"), f.Signature, new ViolationObjective(EnvMode.Adversarial, [Invariant.TlbConflict]), out _, out _), f.TraceText);
            // Stops are written as named points, not counts.
            Assert.DoesNotContain(f.Program.Events, e => e.Stop.Kind == StopKind.AfterCount);
        }

        // Nothing shorter exists: depth 2 is a bounded proof of absence.
        var shallow = new Explorer(Options("realm-v2", 2)).Run();
        Assert.True(shallow.Proved);
    }

    [Fact]
    public void RealmV2Trylock_FindsZ8sSignature()
    {
        // Z8 (the check-then-act of the first trylock idea) on realm-v2-trylock: the violation it shows ...
        var z8 = Corpus.Load("Z8");
        var machine = new Machine(z8.Machine, E.V("realm-v2-trylock"));
        machine.Run(z8.Events.AsSpan());
        var z8Signatures = machine.Violations.ToArray().Where(v => v.Invariant == Invariant.TlbConflict)
            .Select(v => Signature.Of("realm-v2-trylock", v)).ToHashSet();
        Assert.NotEmpty(z8Signatures);

        // ... is among the explorer's minimal-depth violations (a program of at most Z8's four events).
        var result = new Explorer(Options("realm-v2-trylock", 4)).Run();
        Assert.Contains(result.Violations, f => z8Signatures.Contains(f.Signature));
        Assert.True(result.DepthReached <= z8.Events.Length);
    }

    [Fact]
    public void RealmV2Trylock_CheckThenActConflict_IsFoundWithinFourEvents()
    {
        var result = new Explorer(Options("realm-v2-trylock", 5)).Run();

        Assert.NotEmpty(result.Violations);
        Assert.True(result.DepthReached <= 4, $"depth {result.DepthReached}");
        Assert.All(result.Violations, f =>
        {
            Assert.Equal(Invariant.TlbConflict, f.Signature.Invariant);
            Assert.Equal(result.DepthReached, f.Program.Events.Length);
            Assert.True(ReplayGate.Confirms(f.Program, E.V("realm-v2-trylock"), f.Signature, new ViolationObjective(EnvMode.Adversarial, [Invariant.TlbConflict]), out _, out _), f.TraceText);
        });
        // The trylock variant keeps a call preempted across a bring-up (Z8's shape): a task is stopped in each.
        Assert.All(result.Violations, f => Assert.Contains(f.Program.Events, e => e.Kind == EventKind.Call && e.Stop.Kind != StopKind.None));
    }

    [Fact]
    public void SameExploration_GivesTheSameResult_WithAnyNumberOfWorkers()
    {
        var a = new Explorer(Options("realm-v2", 4)).Run();
        var b = new Explorer(Options("realm-v2", 4)).Run();
        var one = new Explorer(Options("realm-v2", 4, workers: 1)).Run();
        var three = new Explorer(Options("realm-v2", 4, workers: 3)).Run();

        foreach (var r in new[] { b, one, three })
        {
            Assert.Equal(a.States, r.States);
            Assert.Equal(a.Executions, r.Executions);
            Assert.Equal(a.DepthReached, r.DepthReached);
            Assert.Equal(a.Violations[0].TraceText, r.Violations[0].TraceText);
            Assert.Equal(a.Violations.Select(f => f.TraceText), r.Violations.Select(f => f.TraceText));
        }
    }

    [Fact]
    public void ProgressIsReportedPerLevel()
    {
        var levels = new List<(int Depth, long States)>();
        var result = new Explorer(Options("realm-v2", 4)).Run((d, s) => levels.Add((d, s)));
        Assert.Equal([1, 2, 3], levels.Select(l => l.Depth));
        Assert.True(levels.Zip(levels.Skip(1)).All(p => p.First.States < p.Second.States));
        Assert.Equal(result.States, levels[^1].States);
    }
}

/// <summary>
/// The bounded proof for realm-v2-trylock-held: no TLB conflict in any alphabet program of up to 8 events
/// (about 1.6 million states; roughly 40 s on two cores in a Debug build, about 11 s at depth 6).
/// </summary>
[Trait("Category", "Slow")]
public sealed class ExplorerProofTests
{
    [Fact]
    public void RealmV2TrylockHeld_HasNoTlbConflictUpToDepth8()
    {
        var result = new Explorer(new ExploreOptions
        {
            Variant = E.V("realm-v2-trylock-held"), Machine = E.Z3Machine, Env = EnvMode.Adversarial, Depth = 8,
            Invariants = [Invariant.TlbConflict],
        }).Run();

        Assert.True(result.Proved, $"violations: {string.Join("; ", result.Violations.Select(f => f.Signature))}");
        Assert.True(result.Complete);
        Assert.Empty(result.Violations);
        Assert.Equal(8, result.DepthReached);
        Assert.True(result.States > 100_000, $"{result.States} states");
        Assert.True(result.Executions >= result.States);
    }
}
