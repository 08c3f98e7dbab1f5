using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Language;

/// <summary>The example in src/FuzzFarm.Language/README.md is part of the documented interface: keep it valid.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void ReadmeExample_Parses_AndRoundTrips()
    {
        var readme = File.ReadAllText(FindReadme());
        const string open = "```fuzzfarm\n";
        var start = readme.IndexOf(open, StringComparison.Ordinal) + open.Length;
        var example = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        var program = TraceParser.Parse(example, "README.md");
        Assert.Equal("realm-v2", program.Variant);
        Assert.Equal(EnvMode.Adversarial, program.Env);
        Assert.Equal(12345UL, program.Seed);
        Assert.Equal(15, program.Events.Length);

        var written = TraceWriter.Write(program);
        Assert.Contains("call t1 cpu=0 ctx=task set_memory_decrypted addr=ram+0x80000000 pages=512\n", written, StringComparison.Ordinal);
        Assert.Contains("addr=ram+0x40000000 pages=16 enable=0\n", written, StringComparison.Ordinal);
        Assert.Equal(program, TraceParser.Parse(written));
    }

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "src", "FuzzFarm.Language", "README.md");
            if (File.Exists(path)) return path;
        }

        throw new FileNotFoundException("src/FuzzFarm.Language/README.md not found above the test directory");
    }
}
