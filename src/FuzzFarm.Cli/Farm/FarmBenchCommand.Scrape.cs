using System.Diagnostics;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Variants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Cli.Commands;

internal static partial class FarmBenchCommand
{
    /// <summary>
    /// (4) The default campaign (every variant × 3 machines × 2 envs: 48 machine grains) on one silo with every core,
    /// while /metrics and / are fetched once a second: a Prometheus scrape must answer well within its interval
    /// however busy the grains are.
    /// </summary>
    private static void ScrapeUnderLoad(Dictionary<string, object?> f, double seconds, TextWriter log)
    {
        log.WriteLine($"(4) default campaign ({FarmCommands.DefaultMachines.Length * VariantCatalog.Ids.Count() * FarmCommands.DefaultEnvs.Length} machine grains), /metrics and / every second, {seconds:F0}s");
        var data = Path.Combine(Path.GetTempPath(), $"fuzzfarm-fb-scrape-{Environment.ProcessId}");
        var ports = FreePorts(2);
        using var app = FarmCommands.BuildSilo(new FuzzFarmHostOptions { DataDirectory = data, SiloPort = ports[0], GatewayPort = ports[1], Http = "127.0.0.1:0" });
        app.Start();
        var web = FuzzFarmSilo.HttpAddress(app)!;
        var campaign = app.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>("bench");
        campaign.Start(new CampaignSpec
        {
            Machines = FarmCommands.DefaultMachines, Variants = [.. VariantCatalog.Ids], Envs = FarmCommands.DefaultEnvs, MaxSeconds = seconds + 30,
        }).GetAwaiter().GetResult();
        var metrics = new List<double>();
        var pages = new List<double>();
        var clock = Stopwatch.StartNew();
        using (var http = new HttpClient { BaseAddress = web, Timeout = TimeSpan.FromSeconds(60) })
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                metrics.Add(Fetch(http, "metrics"));
                pages.Add(Fetch(http, ""));
                Thread.Sleep(1000);
            }
        }

        var executions = campaign.Status().GetAwaiter().GetResult().Executions;
        var elapsed = clock.Elapsed.TotalSeconds;
        campaign.Stop().GetAwaiter().GetResult();
        app.StopAsync().GetAwaiter().GetResult();
        TryDelete(data);
        metrics.Sort();
        pages.Sort();
        log.WriteLine($"    /metrics: median {metrics[metrics.Count / 2]:F3}s, max {metrics[^1]:F3}s; /: median {pages[pages.Count / 2]:F3}s, max {pages[^1]:F3}s; {executions:N0} executions in {elapsed:F1}s");
        f["scrape_under_load_median_seconds"] = Math.Round(metrics[metrics.Count / 2], 3);
        f["scrape_under_load_max_seconds"] = Math.Round(metrics[^1], 3);
        f["dashboard_under_load_max_seconds"] = Math.Round(pages[^1], 3);
        f["dashboard_under_load_median_seconds"] = Math.Round(pages[pages.Count / 2], 3);
        f["default_campaign_execs_per_sec"] = Math.Round(executions / elapsed);
    }

    private static double Fetch(HttpClient http, string path)
    {
        var clock = Stopwatch.StartNew();
        using var response = http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseContentRead).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        return clock.Elapsed.TotalSeconds;
    }
}
