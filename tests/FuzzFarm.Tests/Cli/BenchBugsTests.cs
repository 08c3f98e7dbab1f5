using System.Text.Json;
using FuzzFarm.Cli.Commands;
using FuzzFarm.Engine;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Cli;

/// <summary>
/// <c>bench --bugs</c>: the planted bugs are real (a witness shows each on its planted version and not on the unmutated
/// base, and a bounded fuzz of the base with the bug's objective finds nothing), the zoo's bugs show on their
/// versions, the options fail with one clear line, and a small run gives FuzzFarm's column.
/// </summary>
[Collection(nameof(EdgeMapCollection))]
public sealed class BenchBugsTests() : CliTestBase("bench-bugs")
{
    public static TheoryData<string> PlantedIds => [.. BenchBugs.Planted().Select(b => b.Id)];

    public static TheoryData<string> ZooIds => [.. BenchBugs.Zoo().Select(b => b.Id)];

    [Fact]
    public void Planted_CoverTheFourKinds_AndAreNotCatalogVersions()
    {
        var planted = BenchBugs.Planted();
        Assert.Equal(["dropped guard", "flipped comparison", "missing unlock", "off-by-one"], planted.Select(b => b.Kind).Order(StringComparer.Ordinal));
        foreach (var bug in planted)
        {
            Assert.False(VariantCatalog.TryGet(bug.Id, out _), $"{bug.Id} is a catalog version");
            Assert.True(VariantCatalog.TryGet(bug.Base.Id, out _));
            Assert.NotEmpty(bug.What);
        }
    }

    [Theory]
    [MemberData(nameof(PlantedIds))]
    public void Planted_WitnessShowsOnThePlantedVersion_NotOnItsBase_AndTheBaseFuzzesClean(string id)
    {
        var bug = BenchBugs.Planted().Single(b => b.Id == id);
        var version = bug.Version();
        Assert.Null(BenchBugs.Check(bug, version));
        Assert.True(bug.Shows(bug.Witness, version));
        Assert.False(bug.Shows(bug.Witness, bug.Base));

        // The same objective, fuzzed on the unmutated base for a bounded budget: nothing; on the planted version: found.
        var token = TestContext.Current.CancellationToken;
        Assert.Equal(0, Fuzz(bug, bug.Base, 20_000, token));
        Assert.True(Fuzz(bug, version, 20_000, token) > 0, $"{id}: the fuzzer did not find it in 20,000 executions");
    }

    [Theory]
    [MemberData(nameof(ZooIds))]
    public void Zoo_WitnessIsTheCorpusTrace_AndShowsOnTheVersion(string id)
    {
        var bug = BenchBugs.Zoo().Single(b => b.Id == id);
        var corpus = FuzzFarm.Language.TraceParser.Parse(File.ReadAllText(Path.Combine(Corpus.RepoRoot, "tests", "corpus", $"{id}.trace")));
        Assert.Equal(corpus.Machine, bug.Machine);
        Assert.Equal(corpus.Env, bug.Env);
        Assert.Null(BenchBugs.Check(bug, bug.Version()));
    }

    [Fact]
    public void Zoo_CoversEveryZooRow_BenchmarkedOrSkippedWithAReason()
    {
        var ids = BenchBugs.Zoo().Select(b => b.Id).Concat(BenchBugs.Skipped.Select(s => s.Id)).Order(StringComparer.Ordinal);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => $"Z{i}"), ids);
        Assert.All(BenchBugs.Skipped, s => Assert.NotEmpty(s.Why));
    }

    [Theory]
    [InlineData("--bug-seeds 3", "--bug-seeds must be at least 10")]
    [InlineData("--bug-seeds 0 --bug-smoke", "--bug-seeds must be 10..1000")]
    [InlineData("--bug-budget 0", "--bug-budget must be in (0, 3600]")]
    [InlineData("--bug-budget nan", "--bug-budget must be in (0, 3600]")]
    [InlineData("--bug-ids nope", "--bug-ids: unknown bug 'nope' (known: Z1, Z2, Z3")]
    [InlineData("--bug-ids Z4", "--bug-ids: Z4 is not benchmarked (no bug:")]
    [InlineData("--bug-ids ,", "--bug-ids names no bug")]
    [InlineData("--mutant-seconds -1", "--mutant-seconds must be 0..3600")]
    [InlineData("--mutant-sample -1", "--mutant-sample must be 0..10000")]
    [InlineData("--mutants nope --bug-ids Z3", "--mutants: unknown version 'nope'")]
    public void Options_BadValues_ExitTwoWithOneLine(string args, string message)
    {
        var (code, _, err) = Run(["bench", "--bugs", "--no-afl", .. args.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void SmallRun_NoAfl_GivesFuzzFarmsColumnInTheTableAndJson()
    {
        var file = Path.Combine(Dir, "bugs.json");
        var (code, stdout, err) = Run("bench", "--bugs", "--no-afl", "--bug-seeds", "1", "--bug-smoke", "--bug-budget", "2",
            "--bug-ids", "Z3,Z8,missing-unlock,flip-ffs", "--mutant-seconds", "1", "--mutant-sample", "2", "--json-file", file);
        Assert.True(code == 0, err);
        Assert.Contains("time to bug: 1 seeds per bug and tool, 2 s budget", stdout, StringComparison.Ordinal);
        Assert.Contains("missing-unlock", stdout, StringComparison.Ordinal);
        Assert.Contains("AFL++ column empty: --no-afl", stdout, StringComparison.Ordinal);
        Assert.Contains("not benchmarked: Z4", stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("bugs").GetDouble());
        foreach (var k in new[] { "z3", "z8", "missing_unlock", "flip_ffs" })
        {
            Assert.Equal(1, root.GetProperty($"bug_{k}_ff_found").GetDouble());
            Assert.InRange(root.GetProperty($"bug_{k}_ff_median_s").GetDouble(), 0, 2);
            Assert.Equal(JsonValueKind.Null, root.GetProperty($"bug_{k}_afl_median_s").ValueKind);
            Assert.Equal(JsonValueKind.Null, root.GetProperty($"bug_{k}_ratio").ValueKind);
        }

        Assert.Equal("realm-v2-trylock-held+missing-unlock", root.GetProperty("bug_missing_unlock_version").GetString());
        Assert.Equal("--no-afl", root.GetProperty("bugs_afl_reason").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("ttb_median_ratio").ValueKind);
        Assert.Equal(2, root.GetProperty("mutants_timed_realm_v2_sampled").GetDouble());
        Assert.InRange(root.GetProperty("mutation_score_timed_realm_v2_ff").GetDouble(), 0, 1);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("mutation_score_timed_realm_v2_afl").ValueKind);
    }

    [Fact]
    public void Ratio_ReadsCensoredMediansAsBounds()
    {
        static BenchCommand.ToolColumn Col(int found, double median) => new(found, 10, median, median, null, null);
        Assert.Equal((4.0, "="), BenchCommand.Ratio(Col(10, 0.5), Col(10, 2)));
        Assert.Equal((40.0, ">="), BenchCommand.Ratio(Col(10, 0.5), Col(3, 20)));
        Assert.Equal((0.1, "<="), BenchCommand.Ratio(Col(5, 20), Col(10, 2)));
        Assert.Equal((null, null), BenchCommand.Ratio(Col(0, 20), Col(0, 20)));
        Assert.Equal((null, null), BenchCommand.Ratio(Col(10, 0.5), null));
    }

    private static int Fuzz(BenchBug bug, FuzzFarm.Model.SplitVariant version, long executions, CancellationToken token)
    {
        var session = new FuzzSession(new FuzzOptions
        {
            Variant = version, Machine = bug.Machine, Env = bug.Env, Seed = 1, Invariants = bug.Invariants, DetailContains = bug.Detail,
        });
        while (session.Executions < executions && session.Findings.Count == 0 && !token.IsCancellationRequested) session.RunSlice(500);
        return session.Findings.Count;
    }
}
