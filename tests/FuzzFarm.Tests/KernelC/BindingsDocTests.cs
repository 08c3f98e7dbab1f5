using FuzzFarm.Cli;

namespace FuzzFarm.Tests.KernelC;

/// <summary>The README's binding table is what <c>fuzzfarm bindings</c> prints: no name bound without a word on it.</summary>
public sealed class BindingsDocTests
{
    [Fact]
    public void ReadmeBindingTableIsTheCommandsOutput()
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        Assert.Equal(ExitCodes.Clean, CliApp.Run(["bindings"], o, e));
        var readme = File.ReadAllText(Path.Combine(Corpus.RepoRoot, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        const string begin = "<!-- fuzzfarm bindings: begin -->\n", end = "<!-- fuzzfarm bindings: end -->";
        var from = readme.IndexOf(begin, StringComparison.Ordinal);
        var to = readme.IndexOf(end, StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, "README.md has the bindings markers");
        var expected = o.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Equal(expected, readme[(from + begin.Length)..to]);
        Assert.Contains("| `cpus_read_trylock` |", expected, StringComparison.Ordinal);
        Assert.Contains("| `range_split_to_ptes` |", expected, StringComparison.Ordinal);
    }
}
