using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>
/// The fuzz loop's prefix snapshots: a mutant run from the deepest snapshot of its parent's shared prefix is the
/// same run as one from the reset (violations, assumptions, skipped events, state, guard tally).
/// </summary>
public sealed class PrefixSnapshotsTests
{
    public static TheoryData<string, string> Rows => new()
    {
        { "z3", "realm-v2" },
        { "z3", "realm-v2-trylock" },
        { "four", "ce2b3a5" },
        { "rich", "realm-v2-trylock-held" },
        { "rich", "canary" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void MutantFromSnapshot_EqualsRunFromReset(string which, string variant)
    {
        var config = which switch { "z3" => E.Z3Machine, "four" => E.FourCpus, _ => E.Rich };
        var machine = new Machine(config, E.V(variant));
        var reference = new Machine(config, E.V(variant));
        var guards = new GuardCoverage();
        var expectedGuards = new GuardCoverage();
        machine.Kernel.GuardCoverage = guards;
        reference.Kernel.GuardCoverage = expectedGuards;
        var prefixes = new PrefixSnapshots(machine, capacity: 6); // small: eviction happens often
        var rng = new Prng(0x5eed ^ (ulong)variant.Length ^ (ulong)which.Length << 8);
        var bytes = new byte[160];
        var decoded = new MachineEvent[BinaryDecoder.MaxEvents];
        var parents = new List<MachineEvent[]>();
        var violating = 0;

        for (var n = 0; n < 2_000; n++)
        {
            // A few parents (corpus entries), each mutated many times: a change at a random point, a cut, a tail.
            if (parents.Count < 5 || rng.Below(16) == 0)
            {
                parents.Add(Decode(config, ref rng, bytes, decoded));
                if (parents.Count > 8) parents.RemoveAt(0);
            }

            var parent = parents[rng.Below(parents.Count)];
            var mutant = Mutate(config, parent, ref rng, bytes, decoded);

            prefixes.RunEvents(mutant, parent);
            machine.FinishRun(mutant.Length);
            reference.Run(mutant);

            Assert.True(reference.Violations.SequenceEqual(machine.Violations),
                $"mutant {n}: violations differ\nfrom snapshot: {string.Join("; ", machine.Violations.ToArray())}\n" +
                $"from reset: {string.Join("; ", reference.Violations.ToArray())}\n{E.Text(config, mutant)}");
            Assert.Equal(reference.Kernel.StateHash(), machine.Kernel.StateHash());
            Assert.Equal(reference.Kernel.SkippedEvents, machine.Kernel.SkippedEvents);
            Assert.Equal(reference.Kernel.AssumptionsUsed, machine.Kernel.AssumptionsUsed);
            if (reference.Violations.Length > 0) violating++;
        }

        Assert.Equal(expectedGuards.ToDictionary(), guards.ToDictionary());
        Assert.True(prefixes.Hits > 500, $"only {prefixes.Hits} runs started from a snapshot");
        Assert.True(prefixes.EventsSkipped > 2_000, $"only {prefixes.EventsSkipped} events spared");
        Assert.True(violating > 20 || variant == "canary" || which == "four", $"only {violating} mutants broke an invariant");
    }

    [Fact]
    public void SnapshotsOfOneParent_AreNotUsedForAnother()
    {
        // Same events in two different arrays: snapshots belong to the entry (its array), never to a look-alike.
        var z8 = E.Events("Z8");
        var machine = new Machine(E.Z3Machine, E.V("realm-v2"));
        var prefixes = new PrefixSnapshots(machine, capacity: 4);
        prefixes.RunEvents(z8, z8);
        machine.FinishRun(z8.Length);
        var saves = prefixes.Saves;
        Assert.True(saves >= 1 || z8.Length < PrefixSnapshots.Stride);
        prefixes.RunEvents(z8, [.. z8]);
        machine.FinishRun(z8.Length);
        Assert.Equal(0, prefixes.Hits);
        prefixes.RunEvents(z8, z8);
        machine.FinishRun(z8.Length);
        Assert.Equal(z8.Length >= PrefixSnapshots.Stride ? 1 : 0, prefixes.Hits);
        Assert.Contains(machine.Violations.ToArray(), v => v.Invariant == Invariant.TlbConflict);
    }

    [Fact]
    public void FuzzSession_WithAndWithoutSnapshots_FindsTheSameAndCountsTheSame()
    {
        // Without SharpFuzz edges the observation is model-state features only, whose prefix part the parent
        // already contributed: the two sessions make the same decisions, execution for execution.
        FuzzSession Session(int snapshots) => new(new FuzzOptions
        {
            Variant = E.V("realm-v2"), Machine = E.Z3Machine, Seed = 11, PrefixSnapshots = snapshots,
        });
        var with = Session(64);
        var without = Session(0);
        with.RunSlice(20_000);
        without.RunSlice(20_000);
        Assert.Equal(without.Findings.Select(f => f.Signature), with.Findings.Select(f => f.Signature));
        Assert.Equal(without.CorpusCount, with.CorpusCount);
        Assert.Equal(without.Features, with.Features);
        Assert.Equal(without.Events, with.Events);
        Assert.Equal(without.SkippedEvents, with.SkippedEvents);
        Assert.Equal(without.Guards.ToDictionary(), with.Guards.ToDictionary());
        Assert.True(with.PrefixHits > 5_000, $"only {with.PrefixHits} of 20,000 mutants started from a snapshot");
        Assert.Equal(0, without.PrefixHits);
    }

    private static MachineEvent[] Decode(MachineConfig config, ref Prng rng, byte[] bytes, MachineEvent[] decoded)
    {
        var length = rng.Between(16, bytes.Length);
        foreach (ref var b in bytes.AsSpan(0, length)) b = rng.NextByte();
        return decoded.AsSpan(0, BinaryDecoder.DecodeInto(bytes.AsSpan(0, length), config, decoded)).ToArray();
    }

    private static MachineEvent[] Mutate(MachineConfig config, MachineEvent[] parent, ref Prng rng, byte[] bytes, MachineEvent[] decoded)
    {
        var at = parent.Length == 0 ? 0 : rng.Below(parent.Length + 1);
        var tail = Decode(config, ref rng, bytes, decoded);
        return rng.Below(4) switch
        {
            0 => parent[..at],
            1 => [.. parent[..at], .. tail.Take(4), .. parent[Math.Min(at + 1, parent.Length)..]],
            2 => [.. parent],
            _ => [.. parent[..at], .. tail],
        };
    }
}
