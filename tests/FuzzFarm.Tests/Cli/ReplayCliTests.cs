using System.Text.Json;
using FuzzFarm.Cli;

namespace FuzzFarm.Tests.Cli;

/// <summary>The <c>fuzzfarm</c> command as a user runs it: output, JSON shape and exit codes.</summary>
public sealed class ReplayCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static Dictionary<string, string[]> ViolationIdsByVariant(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("variants").EnumerateArray().ToDictionary(
            v => v.GetProperty("id").GetString()!,
            v => v.GetProperty("violations").EnumerateArray()
                .Where(x => x.GetProperty("reported").GetBoolean())
                .Select(x => x.GetProperty("id").GetString()!).Distinct().ToArray());
    }

    [Fact]
    public void ReplayZ3_AllVariantsJson_ShowsTlbConflictOnlyWhereTheWindowIsOpen()
    {
        var (code, output, _) = Run("replay", Corpus.PathOf("Z3"), "--variant", "all", "--json");
        Assert.Equal(ExitCodes.Violation, code);
        var ids = ViolationIdsByVariant(output);
        Assert.Contains("tlb-conflict", ids["realm-v1"]);
        Assert.Contains("tlb-conflict", ids["realm-v2"]);
        foreach (var clean in new[] { "a166563", "ce2b3a5", "realm-v2-trylock", "realm-v2-trylock-held" })
            Assert.DoesNotContain("tlb-conflict", ids[clean]);
    }

    [Fact]
    public void ReplayZ8_AllVariantsJson_HeldLockClosesTheCheckThenActWindow()
    {
        var (code, output, _) = Run("replay", Corpus.PathOf("Z8"), "--variant", "all", "--json");
        Assert.Equal(ExitCodes.Violation, code);
        var ids = ViolationIdsByVariant(output);
        Assert.Contains("tlb-conflict", ids["realm-v2"]);
        Assert.Contains("tlb-conflict", ids["realm-v2-trylock"]);
        Assert.DoesNotContain("tlb-conflict", ids["realm-v2-trylock-held"]);
    }

    [Fact]
    public void ReplayJson_LateKfencePoolInAPud_ReportsTheHandComputedFragmentation()
    {
        // The pool [0xe020_0000, +2 MiB) lies in the PUD block [3 GiB, 4 GiB): split_pud() → 1 table of 512 PMDs,
        // split_pmd() of the pool's PMD → 1 table of 512 PTEs. 2 table pages, 2 MiB block-mapped at boot lost.
        var path = Path.Combine(Path.GetTempPath(), $"fuzzfarm-frag-{Environment.ProcessId}.trace");
        File.WriteAllText(path, """
            fuzzfarm-trace 1
            machine cpus=2 bbml2=0,1 ram=4G rodata=on dpa=off kfence=late realm=off bringup=serial walker=leaf kfence-pool=0xe0200000+2M
            env strict
            phase runtime
            call t1 cpu=0 ctx=task kfence_init_late

            """);
        try
        {
            var (code, output, err) = Run("replay", path, "--variant", "ce2b3a5", "--json");
            Assert.True(code == ExitCodes.Clean, err);
            using var doc = JsonDocument.Parse(output);
            var f = doc.RootElement.GetProperty("variants")[0].GetProperty("fragmentation");
            var leaves = f.GetProperty("leaves_created");
            Assert.Equal(512, leaves.GetProperty("pmd").GetInt64());
            Assert.Equal(0, leaves.GetProperty("cont-pmd").GetInt64());
            Assert.Equal(512, leaves.GetProperty("pte").GetInt64());
            Assert.Equal(0, leaves.GetProperty("cont-pte").GetInt64());
            Assert.Equal(2, f.GetProperty("table_pages").GetInt64());
            Assert.Equal(0, f.GetProperty("cont_groups_broken").GetInt64());
            Assert.Equal(2L << 20, f.GetProperty("block_bytes_lost").GetInt64());
            // Per event: all of it is the kfence_init_late call (event 1); the boot split nothing (blocks kept).
            var steps = doc.RootElement.GetProperty("variants")[0].GetProperty("fragmentation_by_event");
            Assert.Equal(1, steps.GetArrayLength());
            Assert.Equal(1, steps[0].GetProperty("event").GetInt32());
            Assert.Equal(2, steps[0].GetProperty("table_pages").GetInt64());
            Assert.Equal(2L << 20, steps[0].GetProperty("block_bytes_lost").GetInt64());
            var (_, text, _) = Run("replay", path, "--variant", "ce2b3a5");
            Assert.Contains("fragmentation: leaves created 512 pmd, 0 cont-pmd, 512 pte, 0 cont-pte; 2 table pages", text, StringComparison.Ordinal);
            Assert.Contains("event 1:   leaves created 512 pmd, 0 cont-pmd, 512 pte, 0 cont-pte; 2 table pages", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReplayJson_FragmentationByEvent_AddsUpToTheRun_OnEveryCorpusTraceAndVersion()
    {
        foreach (var file in Directory.GetFiles(Corpus.Dir, "*.trace"))
        {
            var (_, output, err) = Run("replay", file, "--variant", "all", "--json", "--no-timeline");
            using var doc = JsonDocument.Parse(output);
            foreach (var v in doc.RootElement.GetProperty("variants").EnumerateArray())
            {
                var total = v.GetProperty("fragmentation");
                var steps = v.GetProperty("fragmentation_by_event").EnumerateArray().ToList();
                foreach (var field in new[] { "table_pages", "cont_groups_broken", "block_bytes_lost" })
                {
                    Assert.True(total.GetProperty(field).GetInt64() == steps.Sum(s => s.GetProperty(field).GetInt64()),
                        $"{Path.GetFileName(file)} on {v.GetProperty("id").GetString()}: {field} {err}");
                }

                Assert.All(steps, s => Assert.True(s.GetProperty("table_pages").GetInt64() >= 0));
            }
        }
    }

    [Fact]
    public void ReplayJson_CarriesEventIndexAssumptionsAndTimeline()
    {
        var (_, output, _) = Run("replay", Corpus.PathOf("Z3"), "--variant", "realm-v2", "--json");
        using var doc = JsonDocument.Parse(output);
        var variant = doc.RootElement.GetProperty("variants")[0];
        var conflict = variant.GetProperty("violations").EnumerateArray().First(v => v.GetProperty("id").GetString() == "tlb-conflict");
        Assert.Equal(2, conflict.GetProperty("event").GetInt32());
        Assert.Equal(1, conflict.GetProperty("cpu").GetInt32());
        Assert.Equal("async-during-smp", conflict.GetProperty("assumptions")[0].GetString());
        Assert.Contains(variant.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("text").GetString()!.Contains("secondary_mmu_on", StringComparison.Ordinal));
    }

    [Fact]
    public void ReplayText_ShowsVerdictTitleAndPerCpuTimeline()
    {
        var (code, output, _) = Run("replay", Corpus.PathOf("Z8"), "--variant", "realm-v2-trylock");
        Assert.Equal(ExitCodes.Violation, code);
        Assert.Contains("== realm-v2-trylock (E): VIOLATION", output, StringComparison.Ordinal);
        Assert.Contains("TLB conflict abort in split_kernel_leaf_mapping", output, StringComparison.Ordinal);
        Assert.Contains("needs: async-during-smp,preempted-call", output, StringComparison.Ordinal);
        Assert.Matches(@"CPU 0\s+CPU 1", output);
    }

    [Fact]
    public void ReplayCleanTrace_ExitsZero()
    {
        var (code, output, _) = Run("replay", Corpus.PathOf("Z2"), "--variant", "realm-v2", "--no-timeline");
        Assert.Equal(ExitCodes.Clean, code);
        Assert.Contains("CLEAN", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayInStrictEnv_MasksFindingsThatNeedAssumptions()
    {
        var (code, output, _) = Run("replay", Corpus.PathOf("Z3"), "--variant", "realm-v2", "--env", "strict", "--no-timeline");
        Assert.Equal(ExitCodes.Clean, code);
        Assert.Contains("need assumptions outside strict", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Variants_ListsEveryIdWithProvenance()
    {
        var (code, output, _) = Run("variants");
        Assert.Equal(ExitCodes.Clean, code);
        foreach (var id in FuzzFarm.Variants.VariantCatalog.Ids) Assert.Contains(id, output, StringComparison.Ordinal);
        Assert.Contains("f12b435de2f2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_ExitsTwoNamingTheFile()
    {
        var (code, _, err) = Run("replay", "/nonexistent/x.trace");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("/nonexistent/x.trace", err, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedTrace_ExitsTwoNamingFileLineAndCause()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fuzzfarm-bad-{Environment.ProcessId}.trace");
        File.WriteAllText(path, "fuzzfarm-trace 1\nmachine cpus=2\nphase smp-init\nrun t9\n");
        try
        {
            var (code, _, err) = Run("replay", path);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains($"{path}:4:", err, StringComparison.Ordinal);
            Assert.Contains("t9", err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("replay", "Z3", "--variant", "realm-v9")]
    [InlineData("replay", "Z3", "--env", "lenient")]
    [InlineData("replay", "Z3", "--frobnicate")]
    [InlineData("nosuchcommand")]
    public void BadArguments_ExitTwo(params string[] args)
    {
        var resolved = args.Select(a => a.StartsWith('Z') ? Corpus.PathOf(a) : a).ToArray();
        var (code, _, err) = Run(resolved);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.False(string.IsNullOrWhiteSpace(err));
    }
}
