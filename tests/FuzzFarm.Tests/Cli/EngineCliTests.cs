using System.Text.Json;
using FuzzFarm.Cli;

namespace FuzzFarm.Tests.Cli;

/// <summary>fuzz, minimize, matrix and explore as a user runs them: files written, exit codes, errors.</summary>
[Collection(nameof(EdgeMapCollection))]
public sealed class EngineCliTests() : CliTestBase("cli")
{
    [Fact]
    public void Fuzz_WithEdges_FindsZ3Window_AndWritesTraceAndJsonThatReplay()
    {
        var outDir = Path.Combine(Dir, "findings");
        var summary = Path.Combine(Dir, "summary.json");
        var (code, output, err) = Run("fuzz", "--variant", "realm-v2", "--env", "adversarial", "--invariant", "tlb-conflict",
            "--seed", "3", "--max-execs", "3000", "--out", outDir, "--json-file", summary);
        Assert.True(code == ExitCodes.Violation, $"exit {code}\n{output}\n{err}");
        Assert.Contains("SEED=3", output, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(summary));
        Assert.True(doc.RootElement.GetProperty("edges_instrumented").GetBoolean(), "SharpFuzz edges were not collected");
        Assert.True(doc.RootElement.GetProperty("edges").GetInt32() > 100);
        var traces = Directory.GetFiles(outDir, "*.trace");
        Assert.NotEmpty(traces);
        Assert.Equal(traces.Length, Directory.GetFiles(outDir, "*.json").Length);
        var bringUp = traces.Select(t => File.ReadAllText(Path.ChangeExtension(t, ".json")))
            .Select(j => JsonDocument.Parse(j).RootElement)
            .FirstOrDefault(j => j.GetProperty("detail").GetString()!.Contains("in bring-up", StringComparison.Ordinal));
        Assert.True(bringUp.ValueKind == JsonValueKind.Object, "no finding of Z3's bring-up window");
        Assert.True(bringUp.GetProperty("matrix").GetProperty("realm-v2").GetBoolean());
        Assert.False(bringUp.GetProperty("matrix").GetProperty("realm-v2-trylock-held").GetBoolean());

        // Every written trace replays to a violation on its variant.
        foreach (var t in traces)
        {
            var (replay, _, _) = Run("replay", t, "--no-timeline");
            Assert.Equal(ExitCodes.Violation, replay);
        }
    }

    [Fact]
    public void Fuzz_SameSeedTwice_WritesTheSameFindings()
    {
        string Fingerprint(string dir)
        {
            Run("fuzz", "--variant", "canary", "--env", "adversarial", "--seed", "11", "--max-execs", "2000", "--out", dir, "--no-edges");
            return string.Join("\n", Directory.GetFiles(dir, "*.trace").Order(StringComparer.Ordinal).Select(File.ReadAllText));
        }

        var a = Fingerprint(Path.Combine(Dir, "a"));
        var b = Fingerprint(Path.Combine(Dir, "b"));
        Assert.False(string.IsNullOrEmpty(a));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Minimize_PaddedZ3_ShrinksToTheThreeEventStory()
    {
        var padded = Path.Combine(Dir, "padded.trace");
        File.WriteAllText(padded, """
            fuzzfarm-trace 1
            machine cpus=2 bbml2=0 ram=4G rodata=on dpa=off kfence=off realm=off bringup=serial walker=leaf
            variant realm-v2
            env adversarial
            phase mem-init
            call t1 cpu=0 ctx=task set_memory_rw addr=ram+0x10000000
            call t2 cpu=0 ctx=task set_memory_valid addr=ram+0x20000000 pages=16 enable=1
            phase smp-init
            call t3 cpu=0 ctx=task set_memory_nx addr=ram+0x30000000
            cpu-up t4 cpu=1 stop=secondary_mmu_on
            call t5 cpu=0 ctx=task set_memory_ro addr=ram+0x40201000
            run t3
            """);
        var minimized = Path.Combine(Dir, "min.trace");
        var (code, _, err) = Run("minimize", padded, "--invariant", "tlb-conflict", "--out", minimized);
        Assert.True(code == ExitCodes.Violation, err);
        var lines = File.ReadAllLines(minimized).Where(l => !l.StartsWith('#') && l.Length > 0).ToList();
        var events = lines.Where(l => l.StartsWith("phase", StringComparison.Ordinal) || l.StartsWith("cpu-up", StringComparison.Ordinal) || l.StartsWith("call", StringComparison.Ordinal) || l.StartsWith("run", StringComparison.Ordinal)).ToList();
        Assert.Equal(["phase smp-init", "cpu-up t1 cpu=1 stop=secondary_mmu_on", "call t2 cpu=0 ctx=task set_memory_ro addr=ram+0x40201000"], events);
        var (replay, _, _) = Run("replay", minimized, "--no-timeline");
        Assert.Equal(ExitCodes.Violation, replay);
    }

    [Fact]
    public void Minimize_TraceWithoutViolation_SaysNothingToMinimize()
    {
        var (code, _, err) = Run("minimize", Corpus.PathOf("Z3"), "--variant", "realm-v2-trylock-held", "--invariant", "tlb-conflict");
        Assert.Equal(ExitCodes.Clean, code);
        Assert.Contains("nothing to minimize", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Matrix_Z8_SaysIntroducedAndFixedIn()
    {
        var (code, output, _) = Run("matrix", Corpus.PathOf("Z8"), "--json");
        Assert.Equal(ExitCodes.Violation, code);
        using var doc = JsonDocument.Parse(output);
        var row = doc.RootElement.EnumerateArray().Single(r => r.GetProperty("invariant").GetString() == "tlb-conflict");
        Assert.True(row.GetProperty("reproduces").GetProperty("realm-v2-trylock").GetBoolean());
        Assert.False(row.GetProperty("reproduces").GetProperty("realm-v2-trylock-held").GetBoolean());
        Assert.Equal("realm-v2-trylock-held", row.GetProperty("fixed_in").GetString());
    }

    [Fact]
    public void Explore_Z3OnRealmV2_FindsTheWindowAtDepthThree()
    {
        var (code, output, _) = Run("explore", "--variant", "realm-v2", "--depth", "4", "--env", "adversarial", "--invariant", "tlb-conflict",
            "--out", Path.Combine(Dir, "explore"));
        Assert.Equal(ExitCodes.Violation, code);
        Assert.Contains("VIOLATION at depth 3", output, StringComparison.Ordinal);
        Assert.Contains("in bring-up", output, StringComparison.Ordinal);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(Dir, "explore"), "*.trace"));
    }

    [Fact]
    public void Explore_HeldLock_ProvesNoTlbConflictAtSmallDepth_ExitZero()
    {
        var (code, output, _) = Run("explore", "--variant", "realm-v2-trylock-held", "--depth", "4", "--env", "adversarial",
            "--invariant", "tlb-conflict", "--machine-of", Corpus.PathOf("Z3"));
        Assert.Equal(ExitCodes.Clean, code);
        Assert.Contains("PROVED: no violation of tlb-conflict", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Explore_StateLimit_IsInconclusiveNotAProof()
    {
        var (code, output, _) = Run("explore", "--variant", "realm-v2-trylock-held", "--depth", "6", "--env", "adversarial",
            "--invariant", "tlb-conflict", "--max-states", "1000");
        Assert.Equal(ExitCodes.Inconclusive, code);
        Assert.Contains("INCOMPLETE", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fuzz", "--variant", "nope")]
    [InlineData("fuzz", "--variant", "realm-v2", "--machine", "cpus=0")]
    [InlineData("fuzz", "--variant", "realm-v2", "--swarm", "--machine", "cpus=2")]
    [InlineData("fuzz", "--variant", "realm-v2", "--max-execs", "-5")]
    [InlineData("fuzz", "--variant", "realm-v2", "--seed", "banana")]
    [InlineData("explore", "--variant", "realm-v2", "--depth", "0")]
    [InlineData("explore", "--variant", "realm-v2", "--depth", "3", "--invariant", "no-such-invariant")]
    [InlineData("explore", "--variant", "realm-v2", "--depth", "3", "--machine-of", "/nonexistent.trace")]
    [InlineData("minimize", "/nonexistent.trace")]
    public void BadInput_ExitsTwo_WithAMessage(params string[] args)
    {
        var (code, _, err) = Run(args);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("fuzzfarm: ", err, StringComparison.Ordinal);
    }
}
