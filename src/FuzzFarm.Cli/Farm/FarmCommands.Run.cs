using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Variants;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace FuzzFarm.Cli.Commands;

/// <summary><c>fuzzfarm run</c>: the local campaign, stopped by its budget, Ctrl-C or SIGTERM alike.</summary>
internal static partial class FarmCommands
{
    /// <summary>
    /// Exit 0 when the campaign ran to its end or was stopped, whatever it found (the default campaign always finds
    /// the canary); with <paramref name="failOnFinding"/>, 1 when a hazard was found (refusals and canary-only
    /// root causes are not hazards).
    /// </summary>
    private static int RunLocal(FuzzFarmHostOptions options, double? seconds, ulong seed, string name, bool failOnFinding, TextWriter stdout, TextWriter stderr)
    {
        var data = Path.GetFullPath(options.DataDirectory);
        var findingsDir = Path.GetFullPath(options.Findings ?? Path.Combine(data, "findings"));
        using var hold = DataLock.Take(data, findingsDir);
        // Orleans' own warnings (thread-pool stalls on a busy machine, membership chatter) go to a file: the terminal
        // shows the campaign. --verbose keeps them on the console.
        if (!CliApp.Verbose) options.LogFile ??= Path.Combine(data, "silo.log");
        using var app = BuildSilo(options);
        using var stop = StopSignal.Listen(stderr, "finishing the slice, delivering the findings and printing the summary");
        StartHost(app, options);
        var client = app.Services.GetRequiredService<IClusterClient>();
        var campaign = client.GetGrain<ICampaignGrain>(name);
        var spec = new CampaignSpec { Machines = DefaultMachines, Variants = [.. VariantCatalog.Ids], Envs = DefaultEnvs, Seed = seed, MaxSeconds = seconds };
        stdout.WriteLine($"fuzzfarm run: local silo on {options.Address}:{options.SiloPort}, data in {data}"
            + (options.LogFile is { } log ? $" (silo log: {log}; --verbose shows it here)" : ""));
        if (hold.StaleTemporaryFiles > 0) stdout.WriteLine($"removed {hold.StaleTemporaryFiles} temporary file(s) an interrupted run left");
        if (FuzzFarmSilo.HttpAddress(app) is { } web) stdout.WriteLine($"dashboard: {web} (live while the campaign runs; Prometheus metrics at {new Uri(web, "metrics")})");
        var status = campaign.Start(spec).GetAwaiter().GetResult();
        stdout.WriteLine($"campaign '{name}': {status.Machines.Count} machine grains ({spec.Machines.Count} machines × {spec.Variants.Count} variants × {spec.Envs.Count} envs), seed {seed}");
        stdout.Flush();
        var screen = new RunScreen(name, seed);
        // A terminal gets the screen, redrawn in place; a pipe or a log one line per poll.
        if (!Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out) && !CliApp.Verbose)
        {
            screen.Update(status);
            AnsiConsole.Live(screen.Screen()).AutoClear(false).Start(live =>
            {
                while (Poll(campaign, screen, stop, seconds))
                    live.UpdateTarget(screen.Screen());
                live.UpdateTarget(screen.Screen());
            });
        }
        else
        {
            while (Poll(campaign, screen, stop, seconds))
            {
                stdout.WriteLine(screen.Line());
                stdout.Flush();
            }
        }

        stdout.WriteLine(screen.Line());
        stdout.WriteLine("stopping: machine grains deliver what they hold…");
        stdout.Flush();
        campaign.Stop().GetAwaiter().GetResult();
        status = campaign.Status().GetAwaiter().GetResult();
        var findings = client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings().GetAwaiter().GetResult();
        PrintFindings(stdout, findings);
        PrintVerdicts(stdout, findings, status.Machines);
        PrintFragmentation(stdout, status.Machines);
        stdout.WriteLine($"findings: {findingsDir} (.trace replays with 'fuzzfarm replay', .json per signature); a rerun resumes");
        stdout.Flush();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5))) app.StopAsync(limit.Token).GetAwaiter().GetResult();
        return failOnFinding && findings.Any(f => VerdictGrid.Kind(f) <= 1) ? ExitCodes.Violation : ExitCodes.Clean;
    }

    /// <summary>Waits for the next poll (2 s), reads the status; false when the campaign is over or a stop was asked.</summary>
    private static bool Poll(ICampaignGrain campaign, RunScreen screen, StopSignal stop, double? seconds)
    {
        if (stop.Requested || (seconds is { } limit && screen.Elapsed >= limit)) return false;
        stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(2));
        if (stop.Requested) return false;
        var status = campaign.Status().GetAwaiter().GetResult();
        screen.Update(status);
        return status.State != "finished";
    }
}
