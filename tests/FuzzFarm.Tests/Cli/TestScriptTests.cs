using FuzzFarm.Tests.Farm;

namespace FuzzFarm.Tests.Cli;

/// <summary>
/// <c>./test.sh</c>, the README's test command, on a machine that lacks what the tests start: without a way to install
/// (no apt-get on PATH here) it names every missing package and the command that installs them, exits 1, and does not
/// start a test run that would fail on them. (The install path runs in CI on a fresh machine: .ci/run calls it.)
/// </summary>
public sealed class TestScriptTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("fuzzfarm-testsh-").FullName;

    [Fact]
    public async Task OnAMachineWithoutThePackages_ItNamesThemAndExits1_WithoutRunningTheTests()
    {
        var ct = TestContext.Current.CancellationToken;
        // A PATH with the shell tools the script uses and dotnet, nothing else (no redis-server, prometheus,
        // docker-compose, curl, apt-get, sudo).
        foreach (var tool in new[] { "bash", "id", "mktemp", "awk", "tee", "dirname", "env", "rm", "cat" })
        {
            var found = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            if (found is not null) File.CreateSymbolicLink(Path.Combine(_bin, tool), found);
        }

        File.CreateSymbolicLink(Path.Combine(_bin, "dotnet"), ResolveDotnet());
        var script = Path.Combine(Corpus.RepoRoot, "test.sh");
        var r = await ProcessHarness.Run("/bin/bash", [script], TimeSpan.FromSeconds(60), ct, new Dictionary<string, string> { ["PATH"] = _bin });

        Assert.Equal(1, r.Code);
        Assert.Contains("missing: redis-server prometheus", r.Err, StringComparison.Ordinal);
        Assert.Contains("docker-compose curl", r.Err, StringComparison.Ordinal);
        Assert.Contains("apt-get install redis-server", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Running tests", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("passed,", r.Out, StringComparison.Ordinal);
    }

    private static string ResolveDotnet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "dotnet");
            if (File.Exists(candidate)) return candidate;
        }

        return "/usr/bin/dotnet";
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);
}
