using FuzzFarm.Cli.Commands;
using FuzzFarm.KernelC;
using FuzzFarm.Language;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.KernelC;

/// <summary>Machine-made mutants of the C texts, and the bench's mutation score that fuzzes them.</summary>
public sealed class CMutantsTests
{
    private static string RealmV2 => VersionSource.Shipped(VariantCatalog.Get("realm-v2"));

    [Fact]
    public void MutantsChangeOneSiteOfTheFunctionAndAllCompile()
    {
        var mutants = CMutants.Of(RealmV2);
        Assert.True(mutants.Count >= 10, $"{mutants.Count} mutants");
        Assert.Equal(mutants.Count, mutants.Select(m => m.Name).Distinct().Count());
        var lines = RealmV2.Split('\n');
        var online = Array.FindIndex(lines, l => l.Contains("num_online_cpus() > 1", StringComparison.Ordinal)) + 1;
        Assert.Contains(mutants, m => m.Name == $"drop-guard@{online}" && !m.Text.Contains("num_online_cpus", StringComparison.Ordinal));
        Assert.Contains(mutants, m => m.Name.StartsWith("drop-unlock@", StringComparison.Ordinal) && !m.Text.Contains("mutex_unlock", StringComparison.Ordinal));
        Assert.All(mutants, m =>
        {
            Assert.NotEqual(RealmV2, m.Text);
            Assert.InRange(m.Line, 1, lines.Length);
            CVariant.Compile(m.Name, m.Text, "mutant", VariantCatalog.Get("realm-v2"));
        });
    }

    [Fact]
    public void FuzzingKillsADroppedGuardAndAMissingUnlock_AndLeavesAnEquivalentMutantAlive()
    {
        var results = BenchCommand.MutationScore(VariantCatalog.Get("realm-v2"), [TraceParser.ParseMachine("cpus=2 bbml2=0 ram=4G")], 3_000, TestContext.Current.CancellationToken);
        var lines = RealmV2.Split('\n');
        string At(string name, string text) => $"{name}@{Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal)) + 1}";
        var byName = results.ToDictionary(r => r.Name);
        Assert.True(byName[At("drop-guard", "num_online_cpus() > 1")].Killed, byName[At("drop-guard", "num_online_cpus() > 1")].Detail);
        Assert.True(byName[At("drop-unlock", "mutex_unlock")].Killed, byName[At("drop-unlock", "mutex_unlock")].Detail);
        // __ffs(start) and __ffs(end) of a one-page range never tie, so "<" and "<=" choose the same end.
        var tie = byName[At("lt->le", "__ffs(start) < __ffs(end)")];
        Assert.True(tie.Compiled && !tie.Killed, tie.Detail);
    }
}
