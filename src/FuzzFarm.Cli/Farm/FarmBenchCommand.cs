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
        var runs = new Option<int>("--runs") { Description = "How many times the silo-scaling figure is measured (min/median/max)", DefaultValueFactory = _ => 3 };
        var command = new Command("farm-bench", "Benchmark the farm: grain overhead, aggregator ingest, 1, 2, 4 … silos, scrapes under load") { seconds, runs };
        foreach (var o in json.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var s = parse.GetValue(seconds);
            var text = json.Text(parse, stdout, stderr);
            if (s is < 2 or > 600) throw new UsageException("--max-seconds must be 2..600");
            var n = parse.GetValue(runs);
            if (n is < 1 or > 20) throw new UsageException("--runs must be 1..20");
            var f = new Dictionary<string, object?>();
            using var stop = StopSignal.Listen(stderr, "finishing this phase and printing the figures so far");
            foreach (var phase in new Action<Dictionary<string, object?>, double, TextWriter>[] { GrainOverhead, Ingest, (d, t, w) => Scaling(d, t, n, w), ScrapeUnderLoad })
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

    /// <summary>
    /// (3) A campaign of 8 machine grains on 1 silo process, then 2, 4 … up to the core count (silo i pinned to core
    /// i), <paramref name="runs"/> times; each step's rate from the grains' own execution counters after the rate has
    /// settled (JIT tiers), and its ratio to one silo per run, as min/median/max.
    /// </summary>
    private static void Scaling(Dictionary<string, object?> f, double seconds, int runs, TextWriter log)
    {
        var counts = SiloCounts(Environment.ProcessorCount);
        if (counts.Count < 2)
        {
            f["silos_2_vs_1"] = null;
            return;
        }

        var rates = counts.ToDictionary(n => n, _ => new List<double>());
        for (var run = 1; run <= runs; run++)
        {
            foreach (var n in counts)
            {
                var rate = MeasureSilos(n, seconds, run, log);
                rates[n].Add(rate);
                if (n > 1) log.WriteLine($"    run {run}: {n} silos vs 1: {rate / rates[1][^1]:F2}x");
            }
        }

        f["silo_counts"] = string.Join(",", counts);
        f["scaling_runs"] = runs;
        foreach (var n in counts)
        {
            f[n == 1 ? "silo_1_execs_per_sec" : $"silos_{n}_execs_per_sec"] = Math.Round(Median(rates[n]));
            if (n == 1) continue;
            var ratios = rates[n].Select((r, i) => r / rates[1][i]).ToList();
            f[$"silos_{n}_vs_1"] = Math.Round(Median(ratios), 2);
            f[$"silos_{n}_vs_1_min"] = Math.Round(ratios.Min(), 2);
            f[$"silos_{n}_vs_1_max"] = Math.Round(ratios.Max(), 2);
        }
    }

    /// <summary>1, 2, 4 … up to <paramref name="cores"/>, and the core count itself when it is not a power of two.</summary>
    internal static List<int> SiloCounts(int cores)
    {
        var counts = new List<int>();
        for (var n = 1; n <= cores; n *= 2) counts.Add(n);
        if (counts[^1] != cores) counts.Add(cores);
        return counts;
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// How to start this program again as another process: the running executable itself (an apphost, a
    /// self-contained publish, a dotnet tool's shim), or <c>dotnet fuzzfarm.dll</c> when it runs under the muxer.
    /// </summary>
    internal static ProcessStartInfo SelfStart(string? processPath, string baseDirectory)
    {
        var dll = Path.Combine(baseDirectory, "fuzzfarm.dll");
        if (processPath is null || Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var muxer = new ProcessStartInfo(processPath ?? "dotnet");
            muxer.ArgumentList.Add(dll);
            return muxer;
        }

        return new ProcessStartInfo(processPath);
    }

    private static double MeasureSilos(int silos, double seconds, int run, TextWriter log)
    {
        log.WriteLine($"(3) run {run}: {silos} silo process(es), 8 machine grains, {seconds:F0}s");
        var data = Path.Combine(Path.GetTempPath(), $"fuzzfarm-fb-scale-{Environment.ProcessId}-{silos}-{run}");
        var ports = FreePorts(2 * silos);
        var cluster = $"bench{silos}r{run}";
        var processes = new List<Process>();
        try
        {
            for (var i = 0; i < silos; i++)
            {
                var info = SelfStart(Environment.ProcessPath, AppContext.BaseDirectory);
                info.RedirectStandardOutput = true;
                info.RedirectStandardError = true;
                foreach (var a in new[]
                         {
                             "silo", "--data", data, "--silo-port", ports[2 * i].ToString(CultureInfo.InvariantCulture), "--gateway-port",
                             ports[(2 * i) + 1].ToString(CultureInfo.InvariantCulture), "--cluster-id", cluster, "--http", "127.0.0.1:0",
                         })
                {
                    info.ArgumentList.Add(a);
                }

                if (i > 0)
                {
                    info.ArgumentList.Add("--primary");
                    info.ArgumentList.Add($"127.0.0.1:{ports[0]}");
                }

                var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
                processes.Add(p);
                p.ProcessorAffinity = (nint)(1L << (i % Environment.ProcessorCount));
                while (p.StandardOutput.ReadLine() is { } line && !line.StartsWith("silo up", StringComparison.Ordinal))
                {
                }

                if (p.HasExited) throw new InvalidOperationException($"silo {i} ({info.FileName}) exited with {p.ExitCode}: {p.StandardError.ReadToEnd().Trim()}");
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

            // The grains' own counters; a sample is (executions, when it was read).
            (long Execs, double At) Sample(Stopwatch c) => (campaign.Status().GetAwaiter().GetResult().Machines.Sum(m => m.Executions), c.Elapsed.TotalSeconds);
            var clock = Stopwatch.StartNew();
            Thread.Sleep(3000);
            var prev = Sample(clock);
            double? last = null;
            while (clock.Elapsed.TotalSeconds < 20)
            {
                Thread.Sleep(1000);
                var now = Sample(clock);
                var r = (now.Execs - prev.Execs) / (now.At - prev.At);
                prev = now;
                if (last is { } l && Math.Abs(r - l) <= 0.1 * Math.Max(r, l)) break;
                last = r;
            }

            var s0 = Sample(clock);
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            var s1 = Sample(clock);
            var rate = (s1.Execs - s0.Execs) / (s1.At - s0.At);
            var status = campaign.Status().GetAwaiter().GetResult();
            log.WriteLine($"    {rate:N0} execs/s after {s0.At:F0}s of warm-up; grains per silo: {string.Join(", ", status.Machines.GroupBy(m => m.Silo).Select(g => $"{g.Key} {g.Count()}"))}");
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
