using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FuzzFarm.Engine;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm farm-bench [--json FILE]</c>: (1) executions/s of one machine through a grain vs the bare engine, both
/// pinned to one core; (2) aggregator ingest, reports/s with dedup, under a storm where every execution violates;
/// (3) one silo vs two, each silo a process pinned to its own core; (4) how long <c>/metrics</c> and the dashboard
/// take to answer while the default campaign (48 machine grains) keeps every core busy.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[System.Runtime.Versioning.SupportedOSPlatform("windows")]
internal static partial class FarmBenchCommand
{
    private const string Machine = "cpus=2 bbml2=0 ram=4G";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new JsonOut("the figures");
        var seconds = new Option<double>("--max-seconds", "--seconds") { Description = "Measurement time per figure", DefaultValueFactory = _ => 8 };
        var command = new Command("farm-bench", "Benchmark the farm: grain overhead, aggregator ingest, 1 vs 2 silos, scrapes under load") { seconds };
        foreach (var o in json.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var s = parse.GetValue(seconds);
            var text = json.Text(parse, stdout, stderr);
            if (s is < 2 or > 600) throw new UsageException("--max-seconds must be 2..600");
            var f = new Dictionary<string, object?>();
            using var stop = StopSignal.Listen(stderr, "finishing this phase and printing the figures so far");
            foreach (var phase in new Action<Dictionary<string, object?>, double, TextWriter>[] { GrainOverhead, Ingest, Scaling, ScrapeUnderLoad })
            {
                if (stop.Requested) break;
                phase(f, s, text);
            }

            if (!json.ToStdout(parse))
            {
                stdout.WriteLine();
                foreach (var (k, v) in f) stdout.WriteLine($"{k,-36} {Convert.ToString(v, CultureInfo.InvariantCulture)}");
            }

            json.Emit(parse, stdout, JsonSerializer.Serialize(f, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Clean;
        });
        return command;
    }

    private static FuzzOptions Options(ulong seed) => new()
    {
        Variant = VariantCatalog.Get("realm-v2-trylock-held"), Machine = TraceParser.ParseMachine(Machine), Env = EnvMode.Strict, Seed = seed,
    };

    /// <summary>(1) The same session bare and inside a machine grain, the process pinned to one core.</summary>
    private static void GrainOverhead(Dictionary<string, object?> f, double seconds, TextWriter log)
    {
        var process = Process.GetCurrentProcess();
        var affinity = process.ProcessorAffinity;
        process.ProcessorAffinity = 1;
        try
        {
            log.WriteLine($"(1) grain overhead: realm-v2-trylock-held, {Machine}, strict, one core, {seconds:F0}s each");
            // The same seed the campaign's one machine grain will get, so both run the same programs.
            var key = CampaignGrain.Key("overhead", "realm-v2-trylock-held", "strict", Machine, 0);
            var session = new FuzzSession(Options(CampaignGrain.SeedFor(1, key)));
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < 1) session.RunSlice(500);
            var e0 = session.Executions;
            clock.Restart();
            while (clock.Elapsed.TotalSeconds < seconds) session.RunSlice(500);
            var bare = (session.Executions - e0) / clock.Elapsed.TotalSeconds;

            var data = Path.Combine(Path.GetTempPath(), $"fuzzfarm-fb-{Environment.ProcessId}");
            var ports = FreePorts(2);
            using var app = FarmCommands.BuildSilo(new FuzzFarmHostOptions { DataDirectory = data, SiloPort = ports[0], GatewayPort = ports[1], Http = "127.0.0.1:0" });
            app.Start();
            var client = app.Services.GetRequiredService<IClusterClient>();
            var campaign = client.GetGrain<ICampaignGrain>("overhead");
            campaign.Start(new CampaignSpec { Machines = [Machine], Variants = ["realm-v2-trylock-held"], Envs = ["strict"], Seed = 1 }).GetAwaiter().GetResult();
            Thread.Sleep(1000);
            var s0 = campaign.Status().GetAwaiter().GetResult().Executions;
            clock.Restart();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            var s1 = campaign.Status().GetAwaiter().GetResult().Executions;
            var grain = (s1 - s0) / clock.Elapsed.TotalSeconds;
            campaign.Stop().GetAwaiter().GetResult();
            app.StopAsync().GetAwaiter().GetResult();
            TryDelete(data);
            f["bare_engine_execs_per_sec"] = Math.Round(bare);
            f["grain_execs_per_sec"] = Math.Round(grain);
            f["grain_overhead_percent"] = Math.Round((1 - (grain / bare)) * 100, 1);
        }
        finally
        {
            process.ProcessorAffinity = affinity;
        }
    }

    /// <summary>(2) Reports/s: the ledger alone, and through the report gateway into the aggregator (durable, local files).</summary>
    private static void Ingest(Dictionary<string, object?> f, double seconds, TextWriter log)
    {
        log.WriteLine($"(2) aggregator ingest: a storm in which every execution violates (64 signatures, 16 machines), {seconds:F0}s");
        // Every execution of the storm yields one report; signatures repeat, so almost all are duplicates.
        FindingReport Report(int machine, long seq) => new()
        {
            MachineKey = $"storm/{machine}", Sequence = seq, SignatureKey = $"storm--tlb-conflict--{seq % 64:x8}", Title = "storm",
            Variant = "realm-v2", Invariant = "tlb-conflict", Where = "split_pmd", Detail = "storm", Env = "adversarial",
            Trace = "fuzzfarm-trace 1\n", Events = (int)(1 + (seq % 7)), FoundAtExecution = seq, FoundAt = DateTimeOffset.UnixEpoch.AddSeconds(seq),
        };

        var ledger = new FindingsLedger();
        var batch = new List<FindingReport>(1000);
        var seqs = new long[16];
        var n = 0L;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds / 2)
        {
            batch.Clear();
            for (var i = 0; i < 1000; i++)
            {
                var m = i % 16;
                batch.Add(Report(m, ++seqs[m]));
            }

            ledger.Ingest(batch);
            n += batch.Count;
        }

        f["ledger_reports_per_sec"] = Math.Round(n / clock.Elapsed.TotalSeconds);

        var data = Path.Combine(Path.GetTempPath(), $"fuzzfarm-fb-ingest-{Environment.ProcessId}");
        var ports = FreePorts(2);
        using var app = FarmCommands.BuildSilo(new FuzzFarmHostOptions { DataDirectory = data, SiloPort = ports[0], GatewayPort = ports[1], Http = "127.0.0.1:0" });
        app.Start();
        var client = app.Services.GetRequiredService<IClusterClient>();
        var gateway = client.GetGrain<IReportGateway>(0);
        var sent = 0L;
        Array.Clear(seqs);
        clock.Restart();
        // 16 senders, as machine grains would be, each sending batches of 500 reports and awaiting the acknowledgement.
        var senders = Enumerable.Range(0, 16).Select(async m =>
        {
            var seq = 0L;
            while (clock.Elapsed.TotalSeconds < seconds / 2)
            {
                var b = new List<FindingReport>(500);
                for (var i = 0; i < 500; i++) b.Add(Report(m, ++seq));
                await gateway.Report(b);
                Interlocked.Add(ref sent, b.Count);
            }
        }).ToArray();
        Task.WaitAll(senders);
        var rate = sent / clock.Elapsed.TotalSeconds;
        var records = client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings().GetAwaiter().GetResult();
        app.StopAsync().GetAwaiter().GetResult();
        TryDelete(data);
        f["aggregator_reports_per_sec"] = Math.Round(rate);
        f["aggregator_signatures"] = records.Count;
        f["aggregator_hits"] = records.Sum(r => r.Hits);
    }

    /// <summary>(3) A campaign of 8 machine grains on one silo process (pinned to core 0), then on two (cores 0 and 1).</summary>
    private static void Scaling(Dictionary<string, object?> f, double seconds, TextWriter log)
    {
        if (Environment.ProcessorCount < 2)
        {
            f["silos_2_vs_1"] = null;
            return;
        }

        double Measure(int silos)
        {
            log.WriteLine($"(3) {silos} silo process(es), 8 machine grains, {seconds:F0}s");
            var data = Path.Combine(Path.GetTempPath(), $"fuzzfarm-fb-scale-{Environment.ProcessId}-{silos}");
            var ports = FreePorts(2 * silos);
            var cluster = $"bench{silos}";
            var processes = new List<Process>();
            try
            {
                for (var i = 0; i < silos; i++)
                {
                    var args = new List<string>
                    {
                        Path.Combine(AppContext.BaseDirectory, "fuzzfarm.dll"), "silo", "--data", data, "--silo-port", ports[2 * i].ToString(CultureInfo.InvariantCulture),
                        "--gateway-port", ports[(2 * i) + 1].ToString(CultureInfo.InvariantCulture), "--cluster-id", cluster, "--http", "127.0.0.1:0",
                    };
                    if (i > 0) args.AddRange(["--primary", $"127.0.0.1:{ports[0]}"]);
                    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
                    foreach (var a in args) info.ArgumentList.Add(a);
                    var p = Process.Start(info)!;
                    processes.Add(p);
                    p.ProcessorAffinity = 1 << i;
                    while (p.StandardOutput.ReadLine() is { } line && !line.StartsWith("silo up", StringComparison.Ordinal))
                    {
                    }

                    _ = p.StandardOutput.ReadToEndAsync();
                    _ = p.StandardError.ReadToEndAsync();
                }

                var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
                builder.Logging.SetMinimumLevel(LogLevel.Error);
                builder.UseOrleansClient(c => c.AddFuzzFarmClient(new FuzzFarmHostOptions { GatewayPort = ports[1], ClusterId = cluster }));
                using var app = builder.Build();
                app.Start();
                var client = app.Services.GetRequiredService<IClusterClient>();
                var campaign = client.GetGrain<ICampaignGrain>("scale");
                campaign.Start(new CampaignSpec { Machines = [.. Enumerable.Repeat(Machine, 8)], Variants = ["realm-v2-trylock-held"], Envs = ["strict"], Seed = 3 }).GetAwaiter().GetResult();
                Thread.Sleep(3000);
                var s0 = campaign.Status().GetAwaiter().GetResult();
                var clock = Stopwatch.StartNew();
                Thread.Sleep(TimeSpan.FromSeconds(seconds));
                var s1 = campaign.Status().GetAwaiter().GetResult();
                var rate = (s1.Executions - s0.Executions) / clock.Elapsed.TotalSeconds;
                log.WriteLine($"    {rate:N0} execs/s; grains per silo: {string.Join(", ", s1.Machines.GroupBy(m => m.Silo).Select(g => $"{g.Key} {g.Count()}"))}");
                campaign.Stop().GetAwaiter().GetResult();
                app.StopAsync().GetAwaiter().GetResult();
                return rate;
            }
            finally
            {
                foreach (var p in processes)
                {
                    try
                    {
                        p.Kill(entireProcessTree: true);
                        p.WaitForExit(5000);
                    }
                    catch (InvalidOperationException)
                    {
                        // already gone
                    }
                }

                TryDelete(data);
            }
        }

        var one = Measure(1);
        var two = Measure(2);
        f["silo_1_execs_per_sec"] = Math.Round(one);
        f["silos_2_execs_per_sec"] = Math.Round(two);
        f["silos_2_vs_1"] = Math.Round(two / one, 2);
    }

    internal static int[] FreePorts(int n)
    {
        var listeners = Enumerable.Range(0, n).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }

    internal static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }
}
