using System.Globalization;
using System.Text.RegularExpressions;
using FuzzFarm.Tests.Farm;

namespace FuzzFarm.Tests.Deploy;

/// <summary>
/// deploy/local-cluster.sh, the compose topology as processes on loopback (redis-server, three silos, Prometheus, a
/// client), run for a bounded time: the campaign's findings are visible through the client and through Prometheus.
/// </summary>
public sealed partial class LocalClusterTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), $"fuzzfarm-local-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    [GeneratedRegex(@"^local-cluster: ([a-z-]+)=(.*)$", RegexOptions.Multiline)]
    private static partial Regex Closing();

    [Fact]
    public async Task LocalCluster_RunsACampaign_WhoseFindingsTheClientAndPrometheusBothSee()
    {
        Assert.True(File.Exists("/usr/bin/prometheus") || File.Exists("/usr/local/bin/prometheus"), "prometheus is missing: .ci/run installs the Debian package");
        var script = Path.Combine(Corpus.RepoRoot, "deploy", "local-cluster.sh");
        var result = await ProcessHarness.Run("bash",
            [script, "--seconds", "12", "--silos", "3", "--work", _work, "--no-build", "--fuzzfarm", $"{ProcessHarness.Dotnet} {ProcessHarness.FuzzFarmDll}"],
            TimeSpan.FromMinutes(4), TestContext.Current.CancellationToken);

        var lines = Closing().Matches(result.Out).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        Assert.True(result.Code == 0, $"{result}\n--- logs in {_work}\n{Tail("silo-0.log")}");
        var client = int.Parse(lines["findings-client"], CultureInfo.InvariantCulture);
        var prometheus = double.Parse(lines["findings-prometheus"], CultureInfo.InvariantCulture);
        Assert.True(client > 0, result.ToString());
        // Every distinct finding the aggregator holds was counted once by the aggregator's silo, and Prometheus scraped it.
        Assert.Equal(client, prometheus);
        Assert.True(double.Parse(lines["execs-prometheus"], CultureInfo.InvariantCulture) > 0, result.ToString());
        Assert.StartsWith("http://127.0.0.1:", lines["prometheus"], StringComparison.Ordinal);
        // The silos wrote the finding files to the shared findings directory, one .trace per signature.
        Assert.Equal(client, Directory.GetFiles(Path.Combine(_work, "findings"), "*.trace").Length);
        // Three silos ran: three logs, each of a silo that came up.
        for (var i = 0; i < 3; i++) Assert.Contains("silo up", File.ReadAllText(Path.Combine(_work, $"silo-{i}.log")), StringComparison.Ordinal);
    }

    private string Tail(string log)
    {
        var path = Path.Combine(_work, log);
        return File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(30)) : "(no " + log + ")";
    }
}
