using FuzzFarm.Cli;
using FuzzFarm.KernelC;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.KernelC;

public sealed class KernelCTests
{
    private static string TrylockText => File.ReadAllText(Path.Combine(Corpus.RepoRoot, "tests", "FuzzFarm.Tests", "KernelC", "realm-v2-trylock.c"));

    [Fact]
    public void CTextOfRealmV2TrylockGivesTheSameOutcomesAsTheCSharpVersionOnTheZooCorpus()
    {
        var c = CVariant.Compile("realm-v2-trylock.c", TrylockText, "realm-v2-trylock", VariantCatalog.Get("realm-v2"));
        var cs = VariantCatalog.Get("realm-v2-trylock");
        var traces = Directory.GetFiles(Corpus.Dir, "*.trace").Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(traces);
        var anyViolation = false;
        foreach (var file in traces)
        {
            var program = Corpus.Load(Path.GetFileNameWithoutExtension(file));
            var expected = Corpus.Reported(program, cs).Select(v => v.ToString()).ToArray();
            var actual = Corpus.Reported(program, c).Select(v => v.ToString()).ToArray();
            Assert.Equal(expected, actual);
            anyViolation |= expected.Length > 0;
        }
        Assert.True(anyViolation, "the corpus shows E's check-then-act hazard (Z8)");
    }

    [Fact]
    public void ModelOwnFunctionInTheTextIsReportedNotRun()
    {
        var c = CVariant.Compile("e.c", TrylockText, "e", null);
        Assert.Contains(c.Notes, n => n.Contains("split_kernel_leaf_mapping_locked()", StringComparison.Ordinal));
    }

    private static (int Code, string Err) Check(string text, string name = "bad.c")
    {
        var path = Path.Combine(Path.GetTempPath(), $"fuzzfarm-kernelc-{Guid.NewGuid():N}-{name}");
        File.WriteAllText(path, text);
        try
        {
            return CheckPath(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (int Code, string Err) CheckPath(string path)
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        var code = CliApp.Run(["check", path, "--corpus", Corpus.Dir, "--max-seconds", "5"], o, e);
        return (code, e.ToString());
    }

    private static void AssertOneLine(string err, string file, string position, string what)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Matches($@"{file}:{position}: ", lines[0]);
        Assert.Contains(what, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void SyntaxErrorIsOneLineWithPositionAndExit2()
    {
        var (code, err) = Check("int split_kernel_leaf_mapping(unsigned long start, unsigned long end)\n{\n\tif (start end)\n\t\treturn 0;\n\treturn 0;\n}\n");
        Assert.Equal(ExitCodes.BadInput, code);
        AssertOneLine(err, "bad.c", "3:12", "expected ')', found 'end'");
    }

    [Fact]
    public void UnknownFunctionNamesTheNearestKnownNames()
    {
        var (code, err) = Check("int split_kernel_leaf_mapping(unsigned long start, unsigned long end)\n{\n\treturn num_onlin_cpus() > 1;\n}\n");
        Assert.Equal(ExitCodes.BadInput, code);
        AssertOneLine(err, "bad.c", "3:9", "unknown name 'num_onlin_cpus'");
        Assert.Contains("num_online_cpus", err, StringComparison.Ordinal);
    }

    [Fact]
    public void TextWithoutSplitKernelLeafMappingIsRejected()
    {
        var (code, err) = Check("static bool force_pte_mapping(void)\n{\n\treturn true;\n}\n");
        Assert.Equal(ExitCodes.BadInput, code);
        AssertOneLine(err, "bad.c", "1:1", "no split_kernel_leaf_mapping()");
    }

    [Fact]
    public void TenMegabyteFileIsRejectedBeforeParsing()
    {
        var (code, err) = Check(new string(' ', 10 << 20), "big.c");
        Assert.Equal(ExitCodes.BadInput, code);
        AssertOneLine(err, "big.c", "1:1", "bytes");
    }

    [Fact]
    public void BinaryBytesAreRejectedWithTheirPosition()
    {
        var (code, err) = Check("int x;\n\x01\x02\x00", "bin.c");
        Assert.Equal(ExitCodes.BadInput, code);
        AssertOneLine(err, "bin.c", "2:1", "binary byte");
    }

    [Fact]
    public void KernelConstructsParse()
    {
        const string text = """
            /* kernel-doc */
            static DEFINE_MUTEX(pgtable_split_lock);
            static bool rodata_x __initdata;
            int split_kernel_leaf_mapping(unsigned long start, unsigned long end)
            {
                pgd_t *pgdp, pgd;
                int ret = 0;
            #ifdef CONFIG_KFENCE
                if (unlikely(is_kfence_address((void *)start)))
                    return 0;
            #else
                ret = 0;
            #endif
                if (IS_ENABLED(CONFIG_ARM64) && likely(PAGE_ALIGN(start) != start))
                    goto out;
                if (WARN_ON_ONCE(num_online_cpus() > 1))
                    return -EBUSY;
                scoped_guard(mutex, &pgtable_split_lock) {
                    ret = split_kernel_leaf_mapping_locked(start) ?: 0;
                }
                return ret;
            out:
                return __ffs(start) > 3 ? -EINVAL : 0;
            }
            """;
        var c = CVariant.Compile("k.c", text, "k", null);
        Assert.Equal("k", c.Id);
    }
}
