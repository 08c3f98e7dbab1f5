using FuzzFarm.Cli;
using FuzzFarm.Host;

namespace FuzzFarm.Tests.Cli;

/// <summary><c>fuzzfarm report</c>: a finding as Markdown, from the files the fuzzer or the farm wrote, or by key.</summary>
public sealed class ReportCommandTests() : CliTestBase("report")
{
    [Fact]
    public void Report_OfAFuzzerFinding_IsMarkdownWithTraceMatrixTimelineAndReplay()
    {
        var outDir = Path.Combine(Dir, "fuzz");
        var fuzz = Run("fuzz", "--variant", "realm-v2", "--env", "adversarial", "--invariant", "tlb-conflict", "--seed", "3",
            "--max-execs", "3000", "--out", outDir, "--no-edges");
        Assert.True(fuzz.Code == ExitCodes.Violation, fuzz.ToString());
        var json = Directory.GetFiles(outDir, "*.json").First();
        var trace = File.ReadAllText(Path.ChangeExtension(json, ".trace"));

        var (code, md, err) = Run("report", json, "--markdown");

        Assert.True(code == ExitCodes.Clean, err);
        Assert.StartsWith("### TLB conflict abort in split_kernel_leaf_mapping", md, StringComparison.Ordinal);
        Assert.Contains("**Variant:** `realm-v2`", md, StringComparison.Ordinal);
        Assert.Contains("async-during-smp", md, StringComparison.Ordinal); // the fuzzer writes assumptions as a list
        Assert.Contains("| realm-v2 |", md.Replace("| a166563 ", "| ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("```\n" + trace.TrimEnd('\n'), md, StringComparison.Ordinal);
        Assert.Contains("CPU 1", md, StringComparison.Ordinal);
        Assert.Contains("!! tlb-conflict", md, StringComparison.Ordinal);
        Assert.Contains($"fuzzfarm replay {Path.GetFileName(Path.ChangeExtension(json, ".trace"))} --variant realm-v2 --env adversarial", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_ByKey_FindsTheFarmsFindingFiles_AndAnUnknownKeyIsBadInput()
    {
        var trace = File.ReadAllText(Path.Combine(Corpus.Dir, "Z3.trace"));
        var record = FindingFile.FromTrace(trace.Replace("env adversarial\n", "variant realm-v2\nenv adversarial\n", StringComparison.Ordinal), "Z3.trace");
        record.Hits = 7;
        record.FirstSeen = record.LastSeen = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        record.Machines = ["default/realm-v2/adversarial/0-1", "default/realm-v2/adversarial/1-2"];
        await new FileFindingSink(Path.Combine(Dir, "data", "findings")).Write(record);

        var (code, md, err) = Run("report", record.SignatureKey, "--data", Path.Combine(Dir, "data"), "--markdown");

        Assert.True(code == ExitCodes.Clean, err);
        Assert.Contains($"`{record.SignatureKey}`", md, StringComparison.Ordinal);
        Assert.Contains("7 hits on 2 machines", md, StringComparison.Ordinal);

        // The default is the mailing-list text: 80 columns, the same facts.
        var (mailCode, mail, _) = Run("report", record.SignatureKey, "--data", Path.Combine(Dir, "data"));
        Assert.Equal(ExitCodes.Clean, mailCode);
        Assert.Contains($"key:         {record.SignatureKey}", mail, StringComparison.Ordinal);
        Assert.All(mail.Split('\n'), l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));

        (code, _, err) = Run("report", "realm-v2--tlb-conflict--00000000", "--data", Path.Combine(Dir, "data"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("'realm-v2--tlb-conflict--00000000' is neither a finding file", err, StringComparison.Ordinal);
    }
}
