using FuzzFarm.Engine;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>The fuzzer finds the planted canary and realm-v2's bring-up window within small budgets.</summary>
public sealed class FuzzerFindsTests
{
    /// <summary>What the canary's missing split at <c>end</c> breaks: a partial block reaches the walker, or a CONT group goes inconsistent.</summary>
    private static readonly Invariant[] _canaryInvariants = [Invariant.WalkerWarn, Invariant.ContInconsistent];
    private static readonly MachineConfig _allBbml2 = FuzzFarm.Language.TraceParser.ParseMachine("cpus=2 bbml2=all ram=4G");

    private static FuzzSession RunUntil(FuzzOptions options, int budget, Func<Finding, bool> wanted)
    {
        var session = new FuzzSession(options);
        while (session.Executions < budget && !session.Findings.Any(wanted)) session.RunSlice(250);
        return session;
    }

    public static TheoryData<ulong, EnvMode> CanaryRuns()
    {
        var data = new TheoryData<ulong, EnvMode>();
        for (ulong seed = 1; seed <= 5; seed++)
        {
            data.Add(seed, EnvMode.Strict);
            data.Add(seed, EnvMode.Adversarial);
        }

        return data;
    }

    /// <summary>A finding of the planted bug: the program does not show it on realm-v2, the canary's original.</summary>
    private static bool Planted(Finding f, EnvMode env) =>
        _canaryInvariants.Contains(f.Signature.Invariant)
        && !E.Run(f.Program.Machine, E.V("realm-v2"), f.Program.Events.AsSpan()).Any(v => v.ReportedIn(env) && _canaryInvariants.Contains(v.Invariant));

    [Theory]
    [MemberData(nameof(CanaryRuns))]
    public void Canary_IsFoundWithin10000Executions(ulong seed, EnvMode env)
    {
        // All CPUs BBML2_NOABORT: the runtime callers (module loader, BPF: set_memory_ro) reach the split in strict.
        var options = new FuzzOptions { Variant = E.V("canary"), Machine = _allBbml2, Env = env, Seed = seed, Invariants = _canaryInvariants };
        var session = RunUntil(options, 10_000, f => Planted(f, env));

        var finding = session.Findings.FirstOrDefault(f => Planted(f, env));
        Assert.True(finding is not null,
            $"seed {seed} {env}: {session.Executions} executions, findings: {string.Join("; ", session.Findings.Select(f => f.Signature))}");
        Assert.True(finding.FoundAtExecution <= 10_000);
        Assert.True(ReplayGate.Confirms(finding.Program, E.V("canary"), finding.Signature, new ViolationObjective(env, _canaryInvariants), out _, out _));
        if (env == EnvMode.Strict) Assert.Equal(Assumptions.None, finding.Violation.Assumptions);
    }

    [Fact]
    public void RealmV2_ShowsNoCanaryInvariantInStrictEnv()
    {
        var options = new FuzzOptions { Variant = E.V("realm-v2"), Machine = _allBbml2, Seed = 1, Invariants = _canaryInvariants };
        var session = RunUntil(options, 10_000, _ => true);
        Assert.Empty(session.Findings);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void RealmV2_BringUpWindow_IsFoundWithin20000Executions(ulong seed)
    {
        var options = new FuzzOptions
        {
            Variant = E.V("realm-v2"), Machine = E.Z3Machine, Env = EnvMode.Adversarial, Seed = seed, Invariants = [Invariant.TlbConflict],
        };
        static bool BringUp(Finding f) => f.Signature.Detail.Contains("in bring-up", StringComparison.Ordinal);
        var session = RunUntil(options, 20_000, BringUp);

        var finding = session.Findings.FirstOrDefault(BringUp);
        Assert.True(finding is not null, $"seed {seed}: {session.Executions} executions, findings: {string.Join("; ", session.Findings.Select(f => f.Signature))}");
        Assert.True(finding.FoundAtExecution <= 20_000);
        Assert.Contains(finding.Program.Events, e => e.Kind == EventKind.CpuUp);
    }
}
