using System.Diagnostics;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Tests.Farm;

namespace FuzzFarm.Tests.Cli;

/// <summary>The smaller reproductions: ranges that wrap, huge lines, a trace's unknown variant, --findings.</summary>
public sealed class InputLimitTests() : CliTestBase("limits")
{
    [Theory]
    [InlineData("cpus=2 kfence=early kfence-pool=0xffffffffffe00000+0x400000", "kfence-pool")]
    [InlineData("cpus=2 kalias=0xffffffffffe00000+0x400000", "kalias")]
    [InlineData("cpus=2 realm=on swiotlb=0xffffffffffe00000+0x400000", "swiotlb")]
    public void RegionRange_ThatWrapsAround_IsAValidationError(string spec, string key)
    {
        // Before: offset + size wrapped to 2M, passed, and gave a false kfence-not-pte.
        var e = Assert.Throws<TraceFormatException>(() => TraceParser.ParseMachine(spec));
        Assert.Contains(key + ":", e.Message, StringComparison.Ordinal);
        Assert.Contains("inside RAM", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeMachineLine_IsRejectedFast_WithFileAndLine()
    {
        // Before: a 1.2 MB machine line took 16.8 s to reject.
        var path = Path.Combine(Dir, "big.trace");
        File.WriteAllText(path, "fuzzfarm-trace 1\nmachine cpus=2 " + string.Concat(Enumerable.Repeat("ram=4G ", 170_000)) + "\n");
        var clock = Stopwatch.StartNew();
        var (code, _, err) = Run("replay", path);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(2, code);
        Assert.Contains($"{path}:2: line of 1,190,015 characters; a trace line has at most 4,096", err, StringComparison.Ordinal);
        Assert.Throws<TraceFormatException>(() => TraceParser.ParseMachine(new string(' ', 5000) + "cpus=2"));
    }

    [Fact]
    public void UnknownVariantLine_IsReportedWithFileAndLine_NotAsTheOption()
    {
        var path = Path.Combine(Dir, "v.trace");
        File.WriteAllText(path, "fuzzfarm-trace 1\n# a comment\nvariant nope\nmachine cpus=2\n");
        foreach (var command in new[] { "replay", "minimize", "matrix" })
        {
            var (code, _, err) = Run(command, path);
            Assert.Equal(2, code);
            Assert.StartsWith($"fuzzfarm: {path}:3: variant: unknown variant 'nope'", err, StringComparison.Ordinal);
            Assert.DoesNotContain("--variant", err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Run_WithFindings_PrintsTheFolderItUsed()
    {
        var ports = ProcessHarness.FreePorts(2);
        var findings = Path.Combine(Dir, "elsewhere");
        var (code, o, e) = Run("run", "--data", Path.Combine(Dir, "data"), "--findings", findings, "--http", "off",
            "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--max-seconds", "3");
        Assert.True(code is 0 or 1, o + e);
        Assert.Contains($"findings: {findings} (", o, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.Combine(Dir, "data", "findings"), o, StringComparison.Ordinal);
    }

    [Fact]
    public void MachineLimits_AreCheckedAtParseTime()
    {
        Assert.Throws<TraceFormatException>(() => TraceParser.ParseMachine($"cpus={MachineConfig.MaxCpus + 1}"));
        Assert.Throws<TraceFormatException>(() => TraceParser.ParseMachine("cpus=2 ram=2048G"));
        var e = Assert.Throws<TraceFormatException>(() => TraceParser.Parse(
            $"fuzzfarm-trace 1\nmachine cpus=2\ncall t1 cpu=0 ctx=task set_memory_ro addr=ram+0x40201000 pages={MachineEvent.MaxPages + 1}\n", "p.trace"));
        Assert.Contains("p.trace:3:", e.Message, StringComparison.Ordinal);
    }
}
