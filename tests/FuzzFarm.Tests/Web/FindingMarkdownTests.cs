using FuzzFarm.Engine;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Host.Web;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Web;

/// <summary>The Markdown report: its sections and what they say, from a record, from finding files, and from a trace.</summary>
public sealed class FindingMarkdownTests
{
    /// <summary>Z3 on realm-v2: the TLB conflict on the not-yet-online CPU 1, as the aggregator would hold it.</summary>
    internal static FindingRecord Z3Record()
    {
        var trace = File.ReadAllText(Corpus.PathOf("Z3")).Replace("env adversarial", "variant realm-v2\nenv adversarial", StringComparison.Ordinal);
        var v = Corpus.Reported(Corpus.Load("Z3"), VariantCatalog.Get("realm-v2")).First(v => v.Invariant == Invariant.TlbConflict);
        var s = Signature.Of("realm-v2", v);
        return new FindingRecord
        {
            SignatureKey = s.Key, Title = s.Title, Variant = "realm-v2", Invariant = v.Id, Where = Points.Name(v.Where), Detail = v.Detail,
            Env = "adversarial", Assumptions = AssumptionNames.Format(v.Assumptions), SmallestTrace = trace, SmallestEvents = 3,
            FirstSeen = new DateTimeOffset(2026, 4, 2, 10, 0, 0, TimeSpan.Zero), LastSeen = new DateTimeOffset(2026, 4, 2, 10, 5, 0, TimeSpan.Zero),
            Hits = 1234, Machines = ["c/realm-v2/adversarial/0", "c/realm-v2/adversarial/1"], Variants = ["realm-v2"], FirstReport = "c/realm-v2/adversarial/0#1",
        };
    }

    private static string Section(string markdown, string heading)
    {
        var start = markdown.IndexOf("#### " + heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no '{heading}' section in:\n{markdown}");
        var end = markdown.IndexOf("\n#### ", start + 5, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    [Fact]
    public void Report_StartsWithTheTitle_AndListsTheFacts()
    {
        var r = Z3Record();
        var md = FindingMarkdown.Render(r);
        Assert.StartsWith("### TLB conflict abort in split_kernel_leaf_mapping (a secondary without BBML2_NOABORT in bring-up", md, StringComparison.Ordinal);
        Assert.Contains("; before FINALIZE)\n", md, StringComparison.Ordinal);
        Assert.Contains("- **Kernel callers:** none from the catalog", md, StringComparison.Ordinal);
        Assert.Contains($"- **Signature:** `{r.SignatureKey}`", md, StringComparison.Ordinal);
        Assert.Contains("- **Variant:** `realm-v2`", md, StringComparison.Ordinal);
        Assert.Contains("- **Invariant:** `tlb-conflict` (bug)", md, StringComparison.Ordinal);
        Assert.Contains("- **Environment:** adversarial; assumptions: `async-during-smp,no-known-caller`", md, StringComparison.Ordinal);
        Assert.Contains("- **Where:** `split_pud`", md, StringComparison.Ordinal);
        Assert.Contains("- **Detail:** " + r.Detail, md, StringComparison.Ordinal);
        Assert.Contains("- **Found:** 2026-04-02 10:00:00Z, last 2026-04-02 10:05:00Z; 1,234 hits on 2 machines", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Matrix_IsOneRowOverEveryCatalogVariant_WithIntroducedAndFixed()
    {
        var md = Section(FindingMarkdown.Render(Z3Record()), "Variant matrix");
        var rows = md.Split('\n').Where(l => l.StartsWith('|')).ToList();
        Assert.Equal(3, rows.Count);
        var header = rows[0].Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var cells = rows[2].Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([.. VariantCatalog.Ids, "introduced in", "fixed in"], header);
        var row = VariantMatrix.Row(Corpus.Load("Z3").Machine, Corpus.Load("Z3").Events.AsSpan(), Invariant.TlbConflict, EnvMode.Adversarial, VariantCatalog.All);
        Assert.Equal(row.Cells.Select(c => c.Reproduces ? "**yes**" : "no"), cells[..^2]);
        Assert.Equal(["`realm-v1`", "`realm-v2-trylock`"], cells[^2..]);
    }

    [Fact]
    public void Trace_IsFencedWhole_AndTheTimelineShowsTheConflictOnCpu1()
    {
        var r = Z3Record();
        var md = FindingMarkdown.Render(r);
        Assert.Contains("```\n" + r.SmallestTrace + "```\n", Section(md, "Reproducer (3 events"), StringComparison.Ordinal);
        var timeline = Section(md, "Timeline on `realm-v2` (adversarial)");
        var lines = timeline.Split('\n');
        var header = lines.Single(l => l.StartsWith("  ev  CPU 0", StringComparison.Ordinal));
        var cpu1 = header.IndexOf("CPU 1", StringComparison.Ordinal);
        Assert.True(cpu1 > 0, header);
        var conflict = lines.First(l => l.Contains("!! tlb-conflict", StringComparison.Ordinal));
        Assert.Equal(cpu1, conflict.IndexOf("!!", StringComparison.Ordinal));
        Assert.StartsWith("   2", conflict, StringComparison.Ordinal);
        Assert.Contains("phase map-mem … smp-init", timeline, StringComparison.Ordinal);
        Assert.DoesNotContain("pud_leaf() = true", timeline, StringComparison.Ordinal); // predicates are left to `fuzzfarm replay`
        Assert.Contains("num_online_cpus() = 1", timeline, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_NamesTheFileVariantAndEnv()
    {
        var r = Z3Record();
        var replay = Section(FindingMarkdown.Render(r), "Replay");
        Assert.Contains($"```sh\nfuzzfarm replay {r.SignatureKey}.trace --variant realm-v2 --env adversarial\n", replay, StringComparison.Ordinal);
    }

    [Fact]
    public void AwkwardText_CannotBreakTheMarkdown()
    {
        var r = Z3Record();
        r.SignatureKey = "e'--tlb-conflict--0000abcd";
        r.Title = "a <b>title</b>\nwith `ticks`";
        r.SmallestTrace += "# a comment with ``` inside\n";
        var md = FindingMarkdown.Render(r, null, null);
        Assert.StartsWith("### a \\<b>title\\</b> with \\`ticks\\`\n", md, StringComparison.Ordinal);
        Assert.Contains("````\n" + r.SmallestTrace + "````\n", md, StringComparison.Ordinal);
        Assert.Contains("fuzzfarm replay 'e'\\''--tlb-conflict--0000abcd.trace' --variant", md, StringComparison.Ordinal);
        Assert.DoesNotContain("#### Variant matrix", md, StringComparison.Ordinal);
        Assert.DoesNotContain("#### Timeline", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindingFiles_WrittenByTheLocalMode_ReadBackToTheSameReport()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-md-{Guid.NewGuid():N}");
        try
        {
            var r = Z3Record();
            await new FileFindingSink(dir).Write(r);
            var json = Path.Combine(dir, FindingFile.Name(r.SignatureKey) + ".json");
            var back = FindingFile.Read(json);
            Assert.Equal(FindingMarkdown.Render(r), FindingMarkdown.Render(back));
            Assert.Equal(r.Machines, back.Machines);
            Assert.Equal(r.FirstReport, back.FirstReport);
            Assert.Equal(FindingMarkdown.Render(r), FindingMarkdown.Render(FindingFile.Read(Path.ChangeExtension(json, ".trace"))));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TraceAlone_WithAVariantLine_IsTheFirstViolationItReports()
    {
        var r = Z3Record();
        var fromTrace = FindingFile.FromTrace(r.SmallestTrace, "Z3.trace");
        var first = Corpus.Reported(Corpus.Load("Z3"), VariantCatalog.Get("realm-v2"))[0];
        Assert.Equal(Signature.Of("realm-v2", first).Key, fromTrace.SignatureKey);
        Assert.Equal("adversarial", fromTrace.Env);
        var md = FindingMarkdown.Render(fromTrace);
        Assert.DoesNotContain("**Found:**", md, StringComparison.Ordinal);
        Assert.Contains("#### Variant matrix (`" + first.Id + "`)", md, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => FindingFile.FromTrace(File.ReadAllText(Corpus.PathOf("Z3")), "Z3.trace")); // no variant line
    }
}
