using FuzzFarm.Tests.Cli;

namespace FuzzFarm.Tests.Farm;

/// <summary>
/// What a crash leaves behind, made on purpose: ledger records whose files are gone (a kill between the ledger's
/// write and the files'), 0-byte temporary files, a damaged state file. The next <c>run</c> repairs each.
/// </summary>
[Collection(nameof(SignalCollection))]
public sealed class DurabilityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fuzzfarm-durable-").FullName;

    [Fact]
    public async Task Rerun_WritesTheFilesOfEveryLedgerRecord_AndRemovesTemporaryFiles()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Combine(_dir, "data");
        var first = await Run(data, 6, ct);
        var findings = Path.Combine(data, "findings");
        var traces = Directory.GetFiles(findings, "*.trace");
        Assert.NotEmpty(traces);
        // Before: files were written only for the records a batch changed, so these stayed missing for good.
        var removed = traces.Take(Math.Max(1, traces.Length / 2)).ToList();
        foreach (var t in removed)
        {
            File.Delete(t);
            File.Delete(Path.ChangeExtension(t, ".json"));
        }

        File.WriteAllText(Path.Combine(findings, "x.trace.tmp"), "");
        File.WriteAllText(Path.Combine(data, "state", "ledger-x.state.tmp7"), "");
        var second = await Run(data, 4, ct);
        output.WriteLine(second.ToString());
        Assert.Contains("removed 2 temporary file(s)", second.Out, StringComparison.Ordinal);
        foreach (var t in removed)
        {
            Assert.True(File.Exists(t) && new FileInfo(t).Length > 0, $"{t} was not written again");
            Assert.True(new FileInfo(Path.ChangeExtension(t, ".json")).Length > 0);
        }

        Assert.Empty(Directory.GetFiles(data, "*.tmp*", SearchOption.AllDirectories));
        Assert.True(first.Code is 0 or 1 && second.Code is 0 or 1, second.ToString());
    }

    [Fact]
    public async Task DamagedLedgerFile_IsMovedAside_Named_AndTheSiloGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Combine(_dir, "data");
        await Run(data, 4, ct);
        var ledger = Directory.GetFiles(Path.Combine(data, "state"), "ledger-*.state").Single();
        File.WriteAllBytes(ledger, []); // before: the whole silo stopped, naming a grain, not the file
        var r = await Run(data, 5, ct);
        output.WriteLine(r.ToString());
        Assert.True(r.Code is 0 or 1, r.ToString());
        Assert.Contains($"damaged state file {ledger}", r.Out + r.Err, StringComparison.Ordinal);
        Assert.True(File.Exists(ledger + ".corrupt"));
        Assert.Contains("finding(s):", r.Out, StringComparison.Ordinal);
    }

    private static Task<CommandResult> Run(string data, int seconds, CancellationToken ct)
    {
        var ports = ProcessHarness.FreePorts(2);
        return ProcessHarness.Run(ProcessHarness.Dotnet,
            [ProcessHarness.FuzzFarmDll, "run", "--data", data, "--http", "off", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--max-seconds", $"{seconds}"],
            TimeSpan.FromSeconds(90), ct);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A child may hold a file for a moment.
        }
    }
}
