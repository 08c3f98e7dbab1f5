using FuzzFarm.Engine;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Engine;

/// <summary>
/// The verdict cells along the history: Z8's check-then-act (found on realm-v2 and on the first trylock idea,
/// closed by holding the lock across the split) and Z1's early refusal (A and B only), each cell reproduced,
/// proved absent to a depth, or only not found in a number of executions.
/// </summary>
public sealed class VerdictsTests
{
    private static readonly VerdictBudget _budget = new() { Executions = 2_000, Depth = 4, MaxStates = 100_000 };

    [Fact]
    public void Z8_ReproducesOnTheFirstTrylockIdea_AndIsProvedAbsentWhenTheLockIsHeldAcrossTheSplit()
    {
        var program = Corpus.Load("Z8");
        var cause = Verdicts.RootCauseOf(program, VariantCatalog.Get("realm-v2"));
        Assert.NotNull(cause);
        Assert.Equal(Invariant.TlbConflict, cause.Value.Invariant);

        var onE = Verdicts.Cell(program, cause.Value, VariantCatalog.Get("realm-v2-trylock"), _budget);
        Assert.Equal(VerdictKind.Reproduces, onE.Kind);
        Assert.Equal(Assumptions.AsyncDuringSmp | Assumptions.PreemptedCall | Assumptions.NoKnownCaller, onE.Assumptions);

        var onE2 = Verdicts.Cell(program, cause.Value, VariantCatalog.Get("realm-v2-trylock-held"), _budget);
        Assert.Equal(VerdictKind.ProvedAbsent, onE2.Kind);
        Assert.Equal(4, onE2.Depth);
        Assert.Equal("proved absent to depth 4 on its machine", onE2.Text);
    }

    [Fact]
    public void Z1_Row_ShowsAAndB_AndTheHistorySaysWhereItWasFixed()
    {
        var program = Corpus.Load("Z1");
        var cause = Verdicts.RootCauseOf(program, VariantCatalog.Get("a166563"))!.Value;
        var versions = new[] { VariantCatalog.Get("a166563"), VariantCatalog.Get("ce2b3a5"), VariantCatalog.Get("realm-v1") };
        var row = Verdicts.Row(program, cause, versions, new VerdictBudget { Executions = 1_000, Depth = 2, MaxStates = 50_000 });

        Assert.Equal("hazard", row.Kind);
        Assert.Equal(VerdictKind.Reproduces, row.Cell("a166563")!.Kind);
        Assert.Equal(Assumptions.None, row.Cell("a166563")!.Assumptions);
        Assert.Equal("✘ strict", row.Cell("a166563")!.Short);
        Assert.Equal(VerdictKind.Reproduces, row.Cell("ce2b3a5")!.Kind);
        var c = row.Cell("realm-v1")!;
        Assert.False(c.Shows);
        Assert.True(c.Executions >= 1_000, c.Text);
        Assert.Contains("in a166563 (first version)", row.History);
        Assert.Contains("still in ce2b3a5", row.History);
        Assert.Single(row.History, h => h.StartsWith("fixed in realm-v1 (", StringComparison.Ordinal));
    }

    [Fact]
    public void ARootCauseWithReproducersOnTwoMachines_ShowsWhereEitherDoes_AndIsProvedAbsentOnlyWhereBothAre()
    {
        // The not-yet-online secondary: Z3's serial bring-up and a parallel bring-up are one root cause; the read
        // lock held across the split (E') closes it on the serial machine only.
        var z3 = Corpus.Load("Z3");
        var parallel = Corpus.Load("parallel-bringup");
        var cause = Verdicts.RootCauseOf(z3, VariantCatalog.Get("realm-v2"))!.Value;
        Assert.True(cause.Equals(Verdicts.RootCauseOf(parallel, VariantCatalog.Get("realm-v2"))!.Value));
        var held = VariantCatalog.Get("realm-v2-trylock-held");
        var budget = new VerdictBudget { Executions = 500, Depth = 3, MaxStates = 50_000 };

        Assert.False(Verdicts.Cell([z3], cause, held, budget).Shows);
        Assert.Equal(VerdictKind.Reproduces, Verdicts.Cell([z3, parallel], cause, held, budget).Kind);
        var a = Verdicts.Cell([z3, parallel], cause, VariantCatalog.Get("a166563"), budget);
        Assert.Equal(VerdictKind.ProvedAbsent, a.Kind);
        Assert.Equal("proved absent to depth 3 on its 2 machines", a.Text);
    }

    [Fact]
    public void Cells_AreDeterministic()
    {
        var program = Corpus.Load("Z3");
        var cause = Verdicts.RootCauseOf(program, VariantCatalog.Get("realm-v2"))!.Value;
        var budget = new VerdictBudget { Executions = 1_500, Depth = 0 };
        var a = Verdicts.Cell(program, cause, VariantCatalog.Get("realm-v2-trylock"), budget);
        var b = Verdicts.Cell(program, cause, VariantCatalog.Get("realm-v2-trylock"), budget);
        Assert.Equal(a, b);
    }

    [Fact]
    public void History_FollowsParents_NotCatalogOrder()
    {
        Assert.Null(VariantCatalog.Get("a166563").Parent);
        Assert.Null(VariantCatalog.Get("canary").Parent);
        Assert.Equal("realm-v2", VariantCatalog.Get("realm-v2-trylock-held").Parent);
        Assert.Equal("realm-v2", VariantCatalog.Get("bbml2-uncond").Parent);
        var cells = new[]
        {
            new VerdictCell("realm-v2", VerdictKind.Reproduces, Assumptions.None, 0, 0, "", null),
            new VerdictCell("realm-v2-trylock", VerdictKind.Reproduces, Assumptions.None, 0, 0, "", null),
            new VerdictCell("realm-v2-trylock-held", VerdictKind.NotFound, Assumptions.None, 5_000, 3, "", null),
        };
        var history = Verdicts.History(cells, [.. VariantCatalog.All.Where(v => cells.Any(c => c.Version == v.Id))]);
        // E' is D's child, not E's: its fix is against D.
        Assert.Equal(["still in realm-v2-trylock", "fixed in realm-v2-trylock-held (not found in 5,000 execs)"], history);
    }
}
