using System.Text.RegularExpressions;
using FuzzFarm.Engine;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>Different paths to the same bug share a signature; a session keeps one finding per signature.</summary>
public sealed class SignatureTests
{
    private static Signature Z3LikeSignature(params string[] lines)
    {
        var events = E.Parse(E.Z3Machine, lines);
        var v = E.Run(E.Z3Machine, E.V("realm-v2"), events)
            .Where(x => x.ReportedIn(EnvMode.Adversarial) && x.Invariant == Invariant.TlbConflict)
            .ToArray();
        Assert.NotEmpty(v);
        return Signature.Of("realm-v2", v[0]);
    }

    [Fact]
    public void DifferentProgramsReachingTheSameBug_HaveEqualSignaturesAndKeys()
    {
        var z3 = E.Z3Signature;
        var withEarlierCall = Z3LikeSignature(
            "phase mem-init",
            "call t1 cpu=0 ctx=task set_memory_rw addr=ram+0x10000000",
            "phase smp-init",
            "cpu-up t2 cpu=1 stop=secondary_mmu_on",
            "call t3 cpu=0 ctx=task set_memory_ro addr=ram+0x40201000");
        var laterStop = Z3LikeSignature(
            "phase smp-init",
            "cpu-up t1 cpu=1 stop=check_local_cpu_capabilities",
            "call t2 cpu=0 ctx=task set_memory_ro addr=ram+0x40201000");

        Assert.Equal(z3, withEarlierCall);
        Assert.Equal(z3, laterStop);
        Assert.Equal(z3.Key, withEarlierCall.Key);
        Assert.Equal(z3.Key, laterStop.Key);
        Assert.Equal(z3.GetHashCode(), laterStop.GetHashCode());
    }

    [Fact]
    public void DifferentBugs_HaveDifferentKeys_AndKeysAreFileNameSafe()
    {
        var z3 = E.Z3Signature;
        var z8 = Signature.Of("realm-v2", E.Run(E.Z3Machine, E.V("realm-v2"), E.Events("Z8")).First(v => v.Invariant == Invariant.TlbConflict));
        Assert.Equal(z3.Where, z8.Where);
        Assert.NotEqual(z3, z8);
        Assert.NotEqual(z3.Key, z8.Key);
        // A root cause: neither the version it was seen on nor the split level takes part.
        Assert.Equal(z3.Key, (z3 with { Variant = "realm-v1" }).Key);
        Assert.Equal(z3.Key, (z3 with { Where = Point.SplitPmd }).Key);
        Assert.Equal(z3, z3 with { Variant = "realm-v1", Where = Point.SplitPmd });
        foreach (var s in new[] { z3, z8 }) Assert.Matches(new Regex("^[a-z0-9-]+$"), s.Key);
        Assert.StartsWith("tlb-conflict--", z3.Key, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_KeepsOneFindingPerSignature_AndCountsTheRestAsDuplicates()
    {
        var session = new FuzzSession(new FuzzOptions
        {
            Variant = E.V("realm-v2"), Machine = E.Z3Machine, Env = EnvMode.Adversarial, Seed = 2, Invariants = [Invariant.TlbConflict],
        });
        session.RunSlice(3000);

        Assert.NotEmpty(session.Findings);
        Assert.True(session.Duplicates > 0);
        Assert.Equal(session.Findings.Count, session.Findings.Select(f => f.Signature).Distinct().Count());
        Assert.Equal(session.Findings.Count, session.Findings.Select(f => f.Signature.Key).Distinct().Count());
        // Every hit is either the first of a signature or a duplicate it absorbed.
        Assert.Equal(session.Findings.Count + session.Duplicates, session.Findings.Sum(f => session.HitsOf(f.Signature)));
        Assert.Equal(0, session.HitsOf(E.Z3Signature with { Detail = "no such detail" }));
        foreach (var f in session.Findings)
        {
            Assert.Equal(Invariant.TlbConflict, f.Signature.Invariant);
            Assert.Equal(f.Signature, Signature.Of("realm-v2", f.Violation));
            Assert.True(f.Program.Events.Length <= f.OriginalEvents);
            Assert.Null(f.Program.Validate());
            Assert.True(ReplayGate.Confirms(f.Program, E.V("realm-v2"), f.Signature,
                new ViolationObjective(EnvMode.Adversarial, [Invariant.TlbConflict]), out _, out _), f.TraceText);
        }
    }
}
