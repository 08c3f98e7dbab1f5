using FuzzFarm.Cli;
using FuzzFarm.Cli.Commands;
using FuzzFarm.Engine;
using FuzzFarm.KernelC;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.KernelC;

/// <summary>
/// <c>fuzzfarm check PATCH --base VERSION</c>: a unified diff applied to a shipped version's C text, compiled and
/// judged; <c>replay --version-file</c>; the exit code as a CI gate.
/// </summary>
public sealed class CheckPatchTests
{
    private static string PatchPath => Path.Combine(Corpus.RepoRoot, "tests", "corpus", "patches", "realm-v2-add-trylock.patch");

    private static string[] CorpusFiles => Directory.GetFiles(Corpus.Dir, "*.trace").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void TrylockPatchOnRealmV2GivesTheVerdictRowOfTheShippedTrylockVersion()
    {
        var patched = CheckCommand.Load(PatchPath, VariantCatalog.Get("realm-v2"));
        Assert.Empty(patched.Notes);
        var shipped = VariantCatalog.Get("realm-v2-trylock");
        var budget = new VerdictBudget { Executions = 2_000, Depth = 3, MaxStates = 50_000 };
        var causes = VerdictsCommand.RootCauses(CorpusFiles);
        Assert.True(causes.Count >= 8, $"{causes.Count} corpus root causes");
        int shows = 0, not = 0;
        foreach (var (programs, cause) in causes)
        {
            var mine = Verdicts.Cell(programs, cause, patched, budget);
            var theirs = Verdicts.Cell(programs, cause, shipped, budget);
            Assert.Equal((theirs.Kind, theirs.Assumptions, theirs.Executions, theirs.Depth, WithoutVariant(theirs.Trace)),
                (mine.Kind, mine.Assumptions, mine.Executions, mine.Depth, WithoutVariant(mine.Trace)));
            if (mine.Shows) shows++;
            else not++;
        }

        // The row separates: the trylock version shows some root causes and not others (Z3's is refused).
        Assert.True(shows > 0 && not > 0, $"shows {shows}, not {not}");
    }

    /// <summary>A found program names the version it ran on; the rest must be the same.</summary>
    private static string? WithoutVariant(string? trace) =>
        trace is null ? null : string.Join('\n', trace.Split('\n').Where(l => !l.StartsWith("variant ", StringComparison.Ordinal)));

    [Fact]
    public void PatchMarksTheLinesItChangedAndKeepsTheRest()
    {
        var baseText = FuzzFarm.KernelC.VersionSource.Shipped(VariantCatalog.Get("realm-v2"));
        var result = UnifiedPatch.Apply("p", File.ReadAllText(PatchPath), "c/realm-v2.c", baseText);
        Assert.Equal(2, result.Hunks);
        Assert.Empty(result.OtherFiles);
        var lines = result.Text.Split('\n');
        Assert.Equal(baseText.Split('\n').Length + 11, lines.Length); // 12 insertions, 1 deletion
        Assert.All(result.ChangedLines, n => Assert.InRange(n, 1, lines.Length));
        Assert.Contains(result.ChangedLines, n => lines[n - 1].Contains("cpus_read_trylock()", StringComparison.Ordinal));
        Assert.DoesNotContain("if (WARN_ON_ONCE(num_online_cpus() > 1))", result.Text, StringComparison.Ordinal);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        var code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static string Temp(string name, string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fuzzfarm-check-{Guid.NewGuid():N}-{name}");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void PatchWhoseContextIsNotInTheBaseIsOneLineAndExit2()
    {
        // realm-v1's text lacks the lines this patch's hunks need.
        var (code, _, err) = Run("check", PatchPath, "--base", "realm-v1", "--corpus", Corpus.Dir, "--max-seconds", "5");
        Assert.Equal(ExitCodes.BadInput, code);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Matches(@"realm-v2-add-trylock\.patch:\d+:1: hunk \d+ does not apply to c/realm-v1\.c", lines[0]);
    }

    [Fact]
    public void PatchWithoutBaseIsOneLineAndExit2()
    {
        var (code, _, err) = Run("check", PatchPath, "--corpus", Corpus.Dir, "--max-seconds", "5");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("a patch needs the text it applies to; supported: --base VERSION", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void DroppingTheOnlineCheckIsAHazardTheBaseLacksExit1WithAReplayableTrace()
    {
        // realm-v2 without the "more than one CPU online" refusal: a split before FINALIZE while a CPU without BBML2_NOABORT
        // is online, with no change of CPUs between check and split; no corpus row has it, the discovery fuzz finds it.
        var text = FuzzFarm.KernelC.VersionSource.Shipped(VariantCatalog.Get("realm-v2"))
            .Replace("\t\tif (WARN_ON_ONCE(num_online_cpus() > 1))\n\t\t\treturn -EBUSY;\n", "", StringComparison.Ordinal);
        Assert.DoesNotContain("num_online_cpus", text, StringComparison.Ordinal);
        var file = Temp("no-online-check.c", text);
        var outDir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-check-out-{Guid.NewGuid():N}");
        try
        {
            var (code, output, err) = Run("check", file, "--base", "realm-v2", "--corpus", Corpus.Dir, "--invariant", "tlb-conflict",
                "--execs", "2000", "--depth", "0", "--discover-execs", "30000", "--out", outDir);
            Assert.True(code == ExitCodes.Violation, output + err);
            var verdict = output.Split('\n').Single(l => l.StartsWith("check: ", StringComparison.Ordinal) && l.Contains(" s; ", StringComparison.Ordinal));
            Assert.Contains("hazard(s) realm-v2 lacks: tlb-conflict--", verdict, StringComparison.Ordinal);

            // Its trace replays on the same text to the same violation, and not on the base.
            var key = verdict[(verdict.IndexOf("tlb-conflict--", StringComparison.Ordinal))..].Split(',')[0].Trim();
            var trace = Path.Combine(outDir, key + ".trace");
            Assert.True(File.Exists(trace), trace);
            var (mine, replayOut, _) = Run("replay", trace, "--version-file", file, "--base", "realm-v2", "--no-timeline");
            Assert.Equal(ExitCodes.Violation, mine);
            Assert.Contains("== yours: VIOLATION", replayOut, StringComparison.Ordinal);
            Assert.Contains("tlb-conflict", replayOut, StringComparison.Ordinal);
            var (theirs, baseOut, _) = Run("replay", trace, "--variant", "realm-v2", "--env", "adversarial", "--no-timeline");
            Assert.DoesNotContain("tlb-conflict ", baseOut, StringComparison.Ordinal);
            _ = theirs;

            // As a strict gate: that hazard needs assumptions (no kernel caller splits there), so it does not fail.
            var (strict, strictOut, strictErr) = Run("check", file, "--base", "realm-v2", "--corpus", Corpus.Dir, "--invariant", "tlb-conflict",
                "--execs", "2000", "--depth", "0", "--discover-execs", "30000", "--out", outDir, "--fail-on", "strict");
            Assert.True(strict == ExitCodes.Clean, strictOut + strictErr);
            Assert.Contains("no hazard your version has that realm-v2 lacks", strictOut, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
            if (Directory.Exists(outDir)) Directory.Delete(outDir, true);
        }
    }

    [Fact]
    public void TheShippedTextOfTheBaseIsNotWorseThanItself()
    {
        var file = Temp("realm-v2.c", FuzzFarm.KernelC.VersionSource.Shipped(VariantCatalog.Get("realm-v2")));
        try
        {
            var (code, output, err) = Run("check", file, "--base", "realm-v2", "--corpus", Corpus.Dir, "--invariant", "tlb-conflict",
                "--execs", "2000", "--depth", "2", "--discover-execs", "2000", "--out", Path.Combine(Path.GetTempPath(), $"ffc-{Guid.NewGuid():N}"));
            Assert.True(code == ExitCodes.Clean, output + err);
            Assert.Contains("no hazard your version has that realm-v2 lacks", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
