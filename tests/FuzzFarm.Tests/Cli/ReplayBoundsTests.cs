using System.Diagnostics;

namespace FuzzFarm.Tests.Cli;

/// <summary>
/// Replay output and memory grow with what is shown, not with pages × CPUs. Before: a 2-event trace on a 64-CPU,
/// 1024G machine printed 24,991 lines (1.9 MB); the 191-call trace ran 79 s at 6.2 GB even with
/// --no-timeline (bench/big-machine.sh keeps the figure).
/// </summary>
public sealed class ReplayBoundsTests() : CliTestBase("bounds")
{
    private const string Machine = "machine cpus=64 bbml2=0 ram=1024G\nphase finalize\n";

    [Fact]
    public void OneBigCall_OnABigMachine_PrintsABoundedTimeline_WithRepeatsFoldedAndAMoreLine()
    {
        var path = Path.Combine(Dir, "one.trace");
        File.WriteAllText(path, "fuzzfarm-trace 1\n" + Machine + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0x40000000 pages=4096\n");
        var (code, o, err) = Run("replay", path, "--variant", "realm-v2");
        Assert.True(code is 0 or 1, err);
        var lines = o.Split('\n');
        Assert.True(lines.Length < 1000, $"{lines.Length} lines");
        Assert.True(lines.Max(l => l.Length) < 200, "a line per timeline row across 64 CPU lanes");
        Assert.Contains(lines, l => l.Contains("entries repeat", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("more timeline entries not shown", StringComparison.Ordinal));
    }

    [Fact]
    public void ManyBigCalls_NoTimeline_AllVariants_FinishFast()
    {
        var path = Path.Combine(Dir, "many.trace");
        File.WriteAllText(path, "fuzzfarm-trace 1\n" + Machine + string.Concat(Enumerable.Range(0, 40).Select(i =>
            $"call t{i + 1} cpu=0 ctx=task set_memory_ro addr=ram+0x{0x40000000 + (i * 0x1000000):x} pages=4096\n")));
        var clock = Stopwatch.StartNew();
        var (code, o, err) = Run("replay", path, "--no-timeline");
        Assert.True(code is 0 or 1, err);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{clock.Elapsed.TotalSeconds:F1} s");
        Assert.DoesNotContain("timeline:", o, StringComparison.Ordinal);
        (code, o, _) = Run("replay", path, "--variant", "realm-v2", "--timeline-limit", "50");
        Assert.Contains("kept: the first 50", o, StringComparison.Ordinal);
    }
}
