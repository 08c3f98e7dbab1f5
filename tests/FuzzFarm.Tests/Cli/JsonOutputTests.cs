using System.Text.Json;

namespace FuzzFarm.Tests.Cli;

/// <summary>One meaning of JSON output: --json makes stdout the document alone; --json-file F writes it and keeps the text.</summary>
public sealed class JsonOutputTests() : CliTestBase("json")
{
    [Fact]
    public void Fuzz_Json_StdoutIsTheDocumentAlone_WithSnakeCaseKeysAndTheGuardTally()
    {
        var (code, output, err) = Run("fuzz", "--variant", "realm-v2-trylock", "--no-edges", "--max-execs", "800", "--out", Path.Combine(Dir, "out"), "--json");
        Assert.True(code is 0 or 1, err);
        using var doc = JsonDocument.Parse(output); // the whole of stdout
        Assert.Equal(800, doc.RootElement.GetProperty("executions").GetInt64());
        Assert.Contains(doc.RootElement.GetProperty("guards").EnumerateObject(), p => p.Name.StartsWith("cpus_read_trylock:", StringComparison.Ordinal));
        Assert.Contains("SEED=", err, StringComparison.Ordinal); // the progress went to stderr
    }

    [Fact]
    public void Replay_JsonFile_WritesTheDocument_AndTheTextStaysOnStdout()
    {
        var file = Path.Combine(Dir, "replay.json");
        var (_, output, _) = Run("replay", Corpus.PathOf("Z3"), "--variant", "realm-v2", "--json-file", file);
        Assert.Contains("realm-v2", output, StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(output));
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        var (_, alone, _) = Run("replay", Corpus.PathOf("Z3"), "--variant", "realm-v2", "--json");
        Assert.Equal(File.ReadAllText(file), alone);
    }
}
