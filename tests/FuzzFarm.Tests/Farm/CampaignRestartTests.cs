using FuzzFarm.Tests.Cli;

namespace FuzzFarm.Tests.Farm;

/// <summary>
/// <c>campaign start</c> on a finished campaign starts it again with the new options; on a running one it says the
/// options were not applied and exits 2. Before: "finished", exit 0, options ignored. A real silo and client.
/// </summary>
[Collection(nameof(SignalCollection))]
public sealed class CampaignRestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fuzzfarm-restart-").FullName;
    private HarnessProcess? _silo;

    [Fact]
    public async Task StartingAFinishedCampaign_RestartsIt_AndARunningOne_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var ports = ProcessHarness.FreePorts(2);
        _silo = HarnessProcess.Start(ProcessHarness.Dotnet,
            [ProcessHarness.FuzzFarmDll, "silo", "--data", Path.Combine(_dir, "data"), "--http", "off", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}"],
            Path.Combine(_dir, "silo.log"));
        Assert.True(await _silo.WaitForOutput("silo up", TimeSpan.FromSeconds(60), ct), _silo.Output);
        string[] Client(params string[] args) =>
            [ProcessHarness.FuzzFarmDll, "campaign", .. args, "--gateway-port", $"{ports[1]}"];
        string[] Start(string seconds) =>
            Client("start", "--name", "r", "--machine", "cpus=2 bbml2=0 ram=4G", "--variants", "realm-v2", "--envs", "strict", "--max-seconds", seconds);

        var first = await ProcessHarness.Run(ProcessHarness.Dotnet, Start("2"), TimeSpan.FromSeconds(60), ct);
        output.WriteLine(first.ToString());
        Assert.Equal(0, first.Code);
        CommandResult status;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(1000, ct);
            status = await ProcessHarness.Run(ProcessHarness.Dotnet, Client("status", "--name", "r"), TimeSpan.FromSeconds(60), ct);
        }
        while (!status.Out.Contains(": finished", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Contains(": finished", status.Out, StringComparison.Ordinal);

        var again = await ProcessHarness.Run(ProcessHarness.Dotnet, Start("60"), TimeSpan.FromSeconds(60), ct);
        output.WriteLine(again.ToString());
        Assert.Equal(0, again.Code);
        Assert.Contains("campaign 'r' running", again.Out, StringComparison.Ordinal);

        var refused = await ProcessHarness.Run(ProcessHarness.Dotnet, Start("30"), TimeSpan.FromSeconds(60), ct);
        output.WriteLine(refused.ToString());
        Assert.Equal(2, refused.Code);
        Assert.Contains("running already", refused.Out, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _silo?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // The silo may hold a file for a moment.
        }
    }
}
