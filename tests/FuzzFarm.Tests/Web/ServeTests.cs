using System.Net.Http.Json;
using System.Text.Json;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Tests.Cli;
using FuzzFarm.Tests.Farm;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Tests.Web;

/// <summary>
/// <c>fuzzfarm serve</c>: a finished campaign's data folder shown by a silo that resumes nothing. A real silo runs a
/// short campaign to its end and stops; a second one, on the same folder with resuming off, serves it.
/// </summary>
[Collection(nameof(BrowserCollection))]
public sealed class ServeTests() : CliTestBase("serve")
{
    [Fact]
    public async Task AServedFolder_ShowsTheFinishedCampaign_ItsVerdictsGuardsAndPlots_AndNothingRuns()
    {
        var ct = TestContext.Current.CancellationToken;
        long executions;
        int findings;
        using (var silo = Silo(resume: true, out _))
        {
            await silo.StartAsync(ct);
            var client = silo.Services.GetRequiredService<IClusterClient>();
            var campaign = client.GetGrain<ICampaignGrain>("served");
            await campaign.Start(new CampaignSpec { Machines = ["cpus=2 bbml2=0 ram=4G"], Variants = ["realm-v2"], Envs = ["adversarial"], Seed = 3, MaxSeconds = 12 });
            CampaignStatus status;
            do
            {
                await Task.Delay(500, ct);
                status = await campaign.Status();
            }
            while (status.State == "running");
            (executions, findings) = (status.Executions, (await client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings()).Count);
            await silo.StopAsync(ct);
        }

        Assert.True(executions > 0 && findings > 0, $"the campaign ran {executions} executions, {findings} findings");
        using var served = Silo(resume: false, out var _);
        await served.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = FuzzFarmSilo.HttpAddress(served) };
        var first = await http.GetFromJsonAsync<JsonElement>("/api/status", ct);
        var c = first.GetProperty("campaigns").EnumerateArray().Single();
        Assert.Equal("served", c.GetProperty("name").GetString());
        Assert.Equal(executions, c.GetProperty("executions").GetInt64());
        Assert.Equal(0, c.GetProperty("machines").GetProperty("running").GetInt32());
        Assert.Equal(findings, first.GetProperty("findings").GetProperty("count").GetInt32());
        await Task.Delay(2000, ct);
        var later = await http.GetFromJsonAsync<JsonElement>("/api/status", ct);
        Assert.Equal(executions, later.GetProperty("campaigns")[0].GetProperty("executions").GetInt64()); // nothing fuzzes

        var page = await http.GetStringAsync(new Uri("/", UriKind.Relative), ct);
        Assert.Contains("class=\"verdict-row\"", page, StringComparison.Ordinal);
        Assert.Contains("data-guard=\"system_supports_bbml2_noabort:false\"", page, StringComparison.Ordinal); // the guard tally was saved
        Assert.Contains("id=\"plot-rate\"", page, StringComparison.Ordinal); // the run's samples, from DATA/history.jsonl
        await served.StopAsync(ct);
    }

    [Fact]
    public void AFolderWithoutData_IsABadInput_NamingIt()
    {
        var (code, _, err) = Run("serve", "--data", Dir, "--http", "127.0.0.1:0");
        Assert.Equal(2, code);
        Assert.Contains("no FuzzFarm data there", err, StringComparison.Ordinal);
        Assert.Contains(Dir, err, StringComparison.Ordinal);
    }

    private IHost Silo(bool resume, out int[] ports)
    {
        ports = ProcessHarness.FreePorts(2);
        return FuzzFarmSilo.Build(
            new FuzzFarmHostOptions { Http = "127.0.0.1:0", DataDirectory = Dir, SiloPort = ports[0], GatewayPort = ports[1], ClusterId = $"serve-{Guid.NewGuid():N}"[..16] },
            farm => farm.Resume = resume);
    }
}
