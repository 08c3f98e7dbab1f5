using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>The replay gate confirms a finding only when its written trace reproduces the signature.</summary>
public sealed class ReplayGateTests
{
    [Fact]
    public void Z3_ConfirmsOnRealmV2_WithItsSignature()
    {
        var signature = E.Z3Signature;
        Assert.True(ReplayGate.Confirms(Corpus.Load("Z3"), E.V("realm-v2"), signature, EnvMode.Adversarial, out var violation));
        Assert.True(signature.Matches(violation));
        Assert.Equal(Invariant.TlbConflict, violation.Invariant);
        Assert.Equal(Assumptions.AsyncDuringSmp | Assumptions.NoKnownCaller, violation.Assumptions);
    }

    [Fact]
    public void Z3_DoesNotConfirmOnTrylockHeld()
    {
        Assert.False(ReplayGate.Confirms(Corpus.Load("Z3"), E.V("realm-v2-trylock-held"), E.Z3Signature with { Variant = "realm-v2-trylock-held" },
            EnvMode.Adversarial, out var violation));
        Assert.Equal(default, violation);
    }

    [Fact]
    public void Z3_DoesNotConfirmASignatureItDoesNotProduce()
    {
        var z3 = Corpus.Load("Z3");
        var signature = E.Z3Signature;
        // Same invariant and place, Z8's detail (an online CPU, not one in bring-up).
        var online = Signature.Of("realm-v2",
            E.Run(E.Z3Machine, E.V("realm-v2"), E.Events("Z8")).First(v => v.Invariant == Invariant.TlbConflict && v.Where == signature.Where));
        Assert.NotEqual(signature.Detail, online.Detail);
        Assert.False(ReplayGate.Confirms(z3, E.V("realm-v2"), online, EnvMode.Adversarial, out _));
        // The split level is not part of a root cause: the same story at another level is the same finding.
        Assert.True(ReplayGate.Confirms(z3, E.V("realm-v2"), signature with { Where = Point.SplitPmd }, EnvMode.Adversarial, out _));
        Assert.False(ReplayGate.Confirms(z3, E.V("realm-v2"), signature with { Invariant = Invariant.WalkerWarn }, EnvMode.Adversarial, out _));
    }

    [Fact]
    public void Z3_DoesNotConfirmInTheStrictEnvironment()
    {
        Assert.False(ReplayGate.Confirms(Corpus.Load("Z3"), E.V("realm-v2"), E.Z3Signature, EnvMode.Strict, out _));
    }

    [Fact]
    public void ProgramTheWriterRefuses_IsNotConfirmed()
    {
        // An invalid program (cpu-up before smp-init) cannot be written as a trace, so nothing is confirmed.
        var invalid = new EventProgram(E.Z3Machine, [MachineEvent.CpuUp(1, 1, StopSpec.AtPoint(Point.SecondaryMmuOn))]);
        Assert.NotNull(invalid.Validate());
        Assert.False(ReplayGate.Confirms(invalid, E.V("realm-v2"), E.Z3Signature, EnvMode.Adversarial, out _));
    }

    /// <summary>
    /// A session drops a finding whose written trace does not replay. A flaky model is what the gate is for: this
    /// planted variant behaves like realm-v2 only in machines built before a switch is thrown, so the finding the
    /// session minimizes does not reproduce on the gate's fresh machine.
    /// </summary>
    [Fact]
    public void Session_DropsAFindingThatDoesNotReplay_AndCountsIt()
    {
        var flaky = new FlakyVariant();
        var session = new FuzzSession(new FuzzOptions
        {
            Variant = flaky, Machine = E.Z3Machine, Env = EnvMode.Adversarial, Seed = 2, Invariants = [Invariant.TlbConflict],
        });
        Assert.Empty(session.Findings);

        flaky.FixedFromNowOn = true; // machines built from now on (the gate's) take the fixed path
        session.Evaluate(E.Events("Z3"));
        Assert.True(session.ReplayDropped > 0);
        Assert.Empty(session.Findings);
    }

    /// <summary>realm-v2 whose kernels built after <see cref="FixedFromNowOn"/> refuse the split (a nondeterministic model).</summary>
    private sealed class FlakyVariant : SplitVariant
    {
        private readonly SplitVariant _inner = E.V("realm-v2");
        private readonly HashSet<Kernel> _fixedKernels = [];
        private readonly HashSet<Kernel> _seen = [];

        public bool FixedFromNowOn { get; set; }

        public override string Id => "planted-flaky";

        public override string Provenance => "test";

        public override string Summary => "realm-v2, except in machines built after a switch";

        public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end)
        {
            if (_seen.Add(k) && FixedFromNowOn) _fixedKernels.Add(k);
            return _fixedKernels.Contains(k) ? -Units.EBUSY : _inner.SplitKernelLeafMapping(k, start, end);
        }
    }
}
