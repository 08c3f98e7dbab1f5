using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Language;

/// <summary>
/// Machine keys named after early parameters take what the kernel's parser takes and do what it does with the rest:
/// arm64 rejects <c>rodata=full</c> with a warning and keeps <c>rodata=on</c>; <c>debug_pagealloc=</c> is a kstrtobool.
/// </summary>
public sealed class KernelCmdlineTests
{
    private static (MachineConfig Machine, List<string> Warnings) Parse(string spec)
    {
        var warnings = new List<string>();
        return (TraceParser.ParseMachine(spec, warnings), warnings);
    }

    [Fact]
    public void RodataFull_IsRejectedWithAWarning_AndTheDefaultOnStays()
    {
        var (m, warnings) = Parse("cpus=2 rodata=full");
        Assert.Equal(RodataMode.On, m.Rodata);
        Assert.True(m.RodataFull);
        var w = Assert.Single(warnings);
        Assert.Contains("Malformed early option 'rodata'", w, StringComparison.Ordinal);
        Assert.Contains("rodata=full", w, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("on", RodataMode.On)]
    [InlineData("noalias", RodataMode.NoAlias)]
    [InlineData("off", RodataMode.Off)]
    public void RodataKeywords_AreTakenWithoutWarning(string value, RodataMode expected)
    {
        var (m, warnings) = Parse($"cpus=1 rodata={value}");
        Assert.Equal(expected, m.Rodata);
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("1", true)]
    [InlineData("y", true)]
    [InlineData("Yes", true)]
    [InlineData("off", false)]
    [InlineData("0", false)]
    [InlineData("n", false)]
    public void DebugPagealloc_IsAKstrtobool(string value, bool expected)
    {
        var (m, warnings) = Parse($"cpus=1 dpa={value}");
        Assert.Equal(expected, m.DebugPagealloc);
        Assert.Empty(warnings);
    }

    [Fact]
    public void DebugPagealloc_Garbage_KeepsItOffWithAWarning()
    {
        var (m, warnings) = Parse("cpus=1 dpa=maybe");
        Assert.False(m.DebugPagealloc);
        Assert.Contains("Malformed early option 'debug_pagealloc'", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void ATrace_CarriesTheWarning_WithFileAndLine_AndWritesTheCanonicalValue()
    {
        var program = TraceParser.Parse("fuzzfarm-trace 1\n# a comment\nmachine cpus=2 rodata=full\nphase runtime\n", "t.trace");
        Assert.Equal(["t.trace:3: warning: " + Parse("cpus=2 rodata=full").Warnings[0]], program.Warnings);
        Assert.Contains(" rodata=on ", TraceWriter.Write(program), StringComparison.Ordinal);
    }
}
