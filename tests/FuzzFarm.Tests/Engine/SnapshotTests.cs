using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>Saving the state after a prefix and continuing from it is the same as replaying the whole program.</summary>
public sealed class SnapshotTests
{
    /// <summary>Programs per (machine, variant) row: 200 per machine shape.</summary>
    private const int Programs = 100;

    public static TheoryData<string, string> Machines => new()
    {
        { "z3", "realm-v2" },
        { "z3", "realm-v2-trylock-held" },
        { "four", "realm-v2" },
        { "four", "ce2b3a5" },
    };

    [Theory]
    [MemberData(nameof(Machines))]
    public void ContinueFromSnapshot_EqualsReplay_AtEverySplitPoint(string which, string variant)
    {
        var config = which == "z3" ? E.Z3Machine : E.FourCpus;
        var machine = new Machine(config, E.V(variant));
        var reference = new Machine(config, E.V(variant));
        var snapshot = new KernelSnapshot(); // one snapshot, saved into again and again
        var rng = new Prng(which == "z3" ? 3UL : 4UL);
        var bytes = new byte[160];
        var decoded = new MachineEvent[BinaryDecoder.MaxEvents];
        var splits = 0;
        var violating = 0;
        for (var n = 0; n < Programs; n++)
        {
            var length = rng.Between(8, bytes.Length);
            foreach (ref var b in bytes.AsSpan(0, length)) b = rng.NextByte();
            var count = BinaryDecoder.DecodeInto(bytes.AsSpan(0, length), config, decoded);
            var p = decoded.AsSpan(0, count);
            reference.RunPrefix(p, out var expectedHash);
            var expected = reference.Violations.ToArray();
            if (expected.Length > 0) violating++;

            for (var k = 0; k <= p.Length; k++)
            {
                machine.RunPrefixOnly(p[..k]);
                machine.Save(snapshot);
                var hash = machine.Continue(snapshot, k, p[k..]);
                machine.FinishRun(p.Length);
                splits++;

                if (hash != expectedHash || !machine.Violations.SequenceEqual(expected))
                {
                    Assert.Fail($"program {n}, split at {k}: hash {hash:x16} vs {expectedHash:x16}\n" +
                        $"continued: {string.Join("; ", machine.Violations.ToArray())}\nreplayed: {string.Join("; ", expected)}\n" +
                        E.Text(config, p.ToArray()));
                }
            }
        }

        Assert.True(splits > Programs * 4, $"programs were too short: {splits} split points");
        Assert.True(violating > Programs / 10, $"only {violating} of {Programs} programs broke an invariant");
    }

    [Fact]
    public void Snapshot_RestoresAfterOtherRunsOnTheSameMachine()
    {
        // Save after Z8's prefix, run something else entirely, then continue: the snapshot still holds Z8's state.
        var z8 = E.Events("Z8");
        var machine = new Machine(E.Z3Machine, E.V("realm-v2"));
        var snapshot = new KernelSnapshot();
        machine.RunPrefixOnly(z8.AsSpan(0, 2));
        machine.Save(snapshot);
        machine.Run(E.Events("Z3"));
        var hash = machine.Continue(snapshot, 2, z8.AsSpan(2));
        machine.FinishRun(z8.Length);

        var reference = new Machine(E.Z3Machine, E.V("realm-v2"));
        reference.RunPrefix(z8, out var expectedHash);
        Assert.Equal(expectedHash, hash);
        Assert.Equal(reference.Violations.ToArray(), machine.Violations.ToArray());
        Assert.Contains(machine.Violations.ToArray(), v => v.Invariant == Invariant.TlbConflict);
    }

    [Fact]
    public void Snapshot_FromAnotherKernel_IsRefused()
    {
        var a = new Machine(E.Z3Machine, E.V("realm-v2"));
        var b = new Machine(E.Z3Machine, E.V("realm-v2"));
        var snapshot = new KernelSnapshot();
        a.RunPrefixOnly([]);
        a.Save(snapshot);
        Assert.Throws<ArgumentException>(() => b.Continue(snapshot, 0, []));
    }
}
