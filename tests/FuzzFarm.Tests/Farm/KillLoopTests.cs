using System.Text.Json;
using FuzzFarm.Host;
using FuzzFarm.Tests.Cli;

namespace FuzzFarm.Tests.Farm;

/// <summary>
/// The issue's kill loop: <c>fuzzfarm run --data D</c> SIGKILLed a few times in its first seconds, then a clean run.
/// Every finding the ledger lists must have readable, non-empty <c>KEY.trace</c> and <c>KEY.json</c>, no finding may
/// have two files, and no temporary file may be left. Before: 232 findings, 195 with files.
/// </summary>
[Collection(nameof(SignalCollection))]
public sealed class KillLoopTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fuzzfarm-killloop-").FullName;

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task RandomSigkills_ThenACleanRun_LeaveEveryLedgerFindingWithItsFiles()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Combine(_dir, "data");
        var random = new Random(Environment.ProcessId);
        int[] kills = [.. Enumerable.Range(0, 4).Select(_ => 2500 + random.Next(3000))];
        foreach (var after in kills)
        {
            using var run = HarnessProcess.Start(ProcessHarness.Dotnet, [ProcessHarness.FuzzFarmDll, .. RunArgs(data, 120)], Path.Combine(_dir, "run.log"));
            Assert.True(await run.WaitForOutput("machine grains (", TimeSpan.FromSeconds(60), ct), run.Output);
            await Task.Delay(after, ct);
            run.Kill();
        }

        var clean = await ProcessHarness.Run(ProcessHarness.Dotnet, [ProcessHarness.FuzzFarmDll, .. RunArgs(data, 8)], TimeSpan.FromSeconds(90), ct);
        Assert.True(clean.Code is 0 or 1, clean.ToString());
        var ledger = clean.Out.Split('\n')
            .SkipWhile(l => !l.Contains(" finding(s):", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith(' '))
            .Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, "^  [a-z0-9-]+--[0-9a-f]{8} "))
            .Select(l => l.Trim().Split(' ')[0]).ToList();
        var findings = Path.Combine(data, "findings");
        var files = Directory.GetFiles(findings);
        var lost = ledger.Count(k => !Readable(Path.Combine(findings, FindingFile.Name(k)), k));
        var stems = files.Where(f => f.EndsWith(".trace", StringComparison.Ordinal)).Select(f => Path.GetFileNameWithoutExtension(f)).ToList();
        var duplicated = ledger.Count - ledger.Distinct().Count() + stems.Count(s => !ledger.Any(k => FindingFile.Name(k) == s));
        var empty = files.Count(f => new FileInfo(f).Length == 0);
        var temporary = files.Count(f => f.Contains(".tmp", StringComparison.Ordinal))
            + Directory.GetFiles(Path.Combine(data, "state")).Count(f => f.Contains(".tmp", StringComparison.Ordinal));
        var figures = $"kill loop: kills {kills.Length} (after {string.Join(", ", kills.Select(k => $"{k} ms"))}), findings {ledger.Count}, files {files.Length}, lost {lost}, duplicated {duplicated}, empty {empty}, temporary {temporary}";
        output.WriteLine(figures);
        output.WriteLine(clean.Out);
        Assert.True(ledger.Count > 0, clean.ToString());
        Assert.True(lost == 0 && duplicated == 0 && empty == 0 && temporary == 0, figures);
    }

    private static string[] RunArgs(string data, int seconds)
    {
        var ports = ProcessHarness.FreePorts(2);
        return ["run", "--data", data, "--http", "off", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--max-seconds", $"{seconds}"];
    }

    /// <summary>KEY.trace non-empty and a trace; KEY.json non-empty and naming the key.</summary>
    private static bool Readable(string stem, string key)
    {
        if (!File.Exists(stem + ".trace") || !File.Exists(stem + ".json")) return false;
        if (!File.ReadAllText(stem + ".trace").Contains("fuzzfarm-trace", StringComparison.Ordinal)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(stem + ".json"));
            return doc.RootElement.GetProperty("key").GetString() == key;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may hold a file for a moment.
        }
    }
}
