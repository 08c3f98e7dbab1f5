using System.Diagnostics;
using FuzzFarm.Tests.Farm;

namespace FuzzFarm.Tests.Cli;

/// <summary>
/// Bad input and missing clusters end in one line on stderr and exit 2, fast: client options are checked on the
/// client with the silo's validator, no cluster is named with its cause, filesystem errors name path and cause.
/// Every command with bad arguments: no stack trace and no .NET type name reaches the user.
/// </summary>
public sealed class FailFastTests() : CliTestBase("failfast")
{
    public static TheoryData<string> BadCommands => new()
    {
        "campaign start --machine cpus=999",
        "campaign start --envs weird",
        "campaign start --max-seconds -1",
        "campaign start --max-seconds 1e9",
        "campaign start --variants nope",
        "campaign status --redis 127.0.0.1:1",
        "campaign status --gateway-port 1",
        "campaign findings --redis 127.0.0.1:1",
        "campaign stop --redis 127.0.0.1:1",
        "campaign start --redis 127.0.0.1:1",
        "report realm-v2--x --cluster --redis 127.0.0.1:1",
        "report realm-v2--x --cluster --gateway-port 1",
        "run --max-seconds 1e9",
        "run --max-seconds -1",
        "run --redis 127.0.0.1:1",
        "run --http nonsense",
        "silo --silo-port 0",
        "replay /nonexistent.trace",
        "replay tests/corpus/Z3.trace --variant nope",
        "minimize /",
        "matrix /nonexistent",
        "explore --variant nope --depth 2",
        "explore --variant realm-v2 --depth -1",
        "fuzz --variant realm-v2 --no-edges --max-execs 0",
        "fuzz --variant realm-v2 --no-edges --machine cpus=0",
        "fuzz --variant realm-v2 --no-edges --seed -1",
        "fuzz --variant realm-v2 --no-edges --max-execs 10 --json /",
        "fuzz --variant realm-v2 --no-edges --machine cpus=2_kfence=early_kfence-pool=0xffffffffffe00000+0x400000",
        "fuzz --variant realm-v2 --no-edges --machine cpus=2_kalias=0xffffffffffe00000+0x400000",
        "fuzz --variant realm-v2 --no-edges --machine cpus=2_realm=on_swiotlb=0xffffffffffe00000+0x400000",
        "report nothing",
        "health --url nonsense",
        "variants --nonsense",
        "bench --seconds -1",
        "farm-bench --seconds -1",
    };

    [Theory]
    [MemberData(nameof(BadCommands))]
    public void BadArguments_OneLine_Exit2_NoStackTrace_NoTypeName(string command)
    {
        var clock = Stopwatch.StartNew();
        var (code, _, err) = Run([.. command.Split(' ').Select(a => a.Replace("tests/corpus/", Corpus.Dir + "/", StringComparison.Ordinal).Replace('_', ' '))]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{command}: {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(2, code);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        foreach (var typeName in new[] { "System.", "`1[", "(Parameter '", "Exception:", "Orleans." })
            Assert.DoesNotContain(typeName, err, StringComparison.Ordinal);
        Assert.StartsWith("fuzzfarm: ", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--redis", "127.0.0.1:1", "no FuzzFarm cluster at 127.0.0.1:1 (Redis: connection refused)")]
    [InlineData("--gateway-port", "1", "no FuzzFarm cluster at 127.0.0.1:1 (gateway: connection refused)")]
    public async Task CampaignStatus_WithoutACluster_OneLineWithin10Seconds(string flag, string value, string line)
    {
        // A real process: before, the client retried for 150 s, or ended after 12-22 s with exit 134 and 29 lines.
        var clock = Stopwatch.StartNew();
        var r = await ProcessHarness.Run(ProcessHarness.Dotnet, [ProcessHarness.FuzzFarmDll, "campaign", "status", flag, value],
            TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{clock.Elapsed.TotalSeconds:F1} s\n{r}");
        Assert.Equal(2, r.Code);
        Assert.Equal($"fuzzfarm: {line}", r.Err.Trim());
    }

    [Fact]
    public void CampaignStart_ChecksOptionsOnTheClient_WithTheSilosValidator()
    {
        // No cluster is running: each error must come from the client's own check, before any connection.
        var (code, _, err) = Run("campaign", "start", "--machine", "cpus=999", "--gateway-port", "1");
        Assert.Equal(2, code);
        Assert.Contains("cpus: 999 is out of range", err, StringComparison.Ordinal);
        (code, _, err) = Run("campaign", "start", "--envs", "weird", "--gateway-port", "1");
        Assert.Equal(2, code);
        Assert.Contains("'weird' is not an environment", err, StringComparison.Ordinal);
        (code, _, err) = Run("campaign", "start", "--max-seconds", "1e9", "--gateway-port", "1");
        Assert.Equal(2, code);
        Assert.Contains("is not in (0, 10000000] seconds", err, StringComparison.Ordinal);
    }

    [Fact]
    public void FilesystemErrors_NamePathAndCause_LeaveNoTemporaryFile()
    {
        var file = Path.Combine(Dir, "a-file");
        File.WriteAllText(file, "x");
        var (code, _, err) = Run("run", "--data", file, "--max-seconds", "1", "--http", "off");
        Assert.Equal(2, code);
        Assert.Contains(file, err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));

        var folder = Path.Combine(Dir, "json-is-a-folder");
        Directory.CreateDirectory(folder);
        (code, _, err) = Run("fuzz", "--variant", "realm-v2", "--no-edges", "--max-execs", "10", "--out", Path.Combine(Dir, "out"), "--json-file", folder);
        Assert.Equal(2, code);
        Assert.Equal($"fuzzfarm: {folder}: a folder, not a file", err.Trim());
        Assert.Empty(Directory.GetFiles(Dir, "*.tmp*", SearchOption.AllDirectories));
    }
}
