using System.CommandLine;
using System.Globalization;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Variants;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Cli.Commands;

/// <summary><c>fuzzfarm run</c>, <c>fuzzfarm silo</c> and <c>fuzzfarm campaign start|status|stop|findings</c>.</summary>
internal static partial class FarmCommands
{
    /// <summary>
    /// The text a campaign ships for <c>--version-file</c>: compiled here first (a bad text is one line and exit 2
    /// before any connection), a patch applied to its base's C text, so the silos get plain C.
    /// </summary>
    internal static VersionText? VersionTextOf(string file, FuzzFarm.Model.SplitVariant? baseVersion, string id, TextWriter stderr)
    {
        try
        {
            var source = CheckCommand.Source(file, baseVersion);
            foreach (var note in FuzzFarm.KernelC.VersionSource.Compile(source, id, baseVersion).Notes) stderr.WriteLine(note);
            return new VersionText { Id = id, Base = baseVersion?.Id, Name = source.Name, Text = source.Source };
        }
        catch (FuzzFarm.KernelC.KernelCException e)
        {
            stderr.WriteLine(e.Message);
            return null;
        }
    }

    /// <summary>
    /// The default campaign's machines, chosen so that the kernel's own callers run: Z3's (a secondary lacking
    /// BBML2_NOABORT); a 4-CPU one whose CPU 3 lacks it and is held back from boot for hot-plug, with a late KFENCE
    /// pool; a realm with rodata=on and a realm with rodata=noalias (Z1, Z6), both with a swiotlb region and GIC ITS
    /// tables (the boot's own decrypts); debug_pagealloc with an early KFENCE pool (Z2, C's WARN storm); a 2-CPU one whose CPU 1 no allow-list
    /// names but whose ID register says BBM level 3 while its hardware can still abort (bbml3 admits it, §9); a KVM host
    /// (guest_memfd folios) with 1 GiB of hot-add RAM whose CPU 3 lacks BBML2_NOABORT and is held back for hot-plug (the
    /// revision-3 callers next to a late CPU; a realm has no KVM, and the realm hot-add of open question 8 is a corpus
    /// trace and a swarm draw); and a swarm.
    /// </summary>
    public static readonly string[] DefaultMachines =
    [
        "cpus=2 bbml2=0 ram=4G",
        "cpus=4 bbml2=0,1,2 ram=4G kfence=late boot-cpus=3",
        "cpus=2 bbml2=all ram=4G realm=on rodata=on swiotlb=0x40000000+4M its=0x50000000+64K",
        "cpus=2 bbml2=all ram=4G realm=on rodata=noalias swiotlb=0x40000000+4M its=0x50000000+64K",
        "cpus=2 bbml2=all ram=4G dpa=on kfence=early",
        "cpus=2 bbml2=0 ram=4G midr=neoverse-v3:r0p2,other:r0p0 bbm=2,3 bbml2-hw=0",
        "cpus=4 bbml2=0,1,2 ram=4G boot-cpus=3 gmem=on hotadd=1G",
        "swarm",
    ];

    public static readonly string[] DefaultEnvs = ["strict", "adversarial"];

    private sealed record HostArgs(
        Option<string?> Redis, Option<string> Data, Option<string> Address, Option<string?> Advertise, Option<int> SiloPort,
        Option<int> GatewayPort, Option<string> ClusterId, Option<string?> Journal, Option<string?> Primary, Option<string> Http,
        Option<string?> Otlp, Option<string> OtlpProtocol, Option<string?> Findings, Option<string?> LogFile)
    {
        public FuzzFarmHostOptions Read(ParseResult p) => new()
        {
            Redis = p.GetValue(Redis),
            DataDirectory = p.GetValue(Data)!,
            Address = p.GetValue(Address)!,
            Advertise = p.GetValue(Advertise),
            SiloPort = p.GetValue(SiloPort),
            GatewayPort = p.GetValue(GatewayPort),
            ClusterId = p.GetValue(ClusterId)!,
            ReportJournal = p.GetValue(Journal),
            Primary = p.GetValue(Primary),
            Http = p.GetValue(Http)!,
            Otlp = p.GetValue(Otlp),
            OtlpProtocol = p.GetValue(OtlpProtocol)!,
            Findings = p.GetValue(Findings),
            LogFile = p.GetValue(LogFile),
        };

        public IEnumerable<Option> All => [Redis, Data, Address, Advertise, SiloPort, GatewayPort, ClusterId, Journal, Primary, Http, Otlp, OtlpProtocol, Findings, LogFile];
    }

    /// <summary>Host options: each flag's default comes from its FUZZFARM_* variable when set (the flag wins).</summary>
    private static HostArgs NewHostArgs(bool redisRequired) => new(
        Text("--redis", "Redis HOST:PORT for membership and storage" + (redisRequired ? "" : " (default: local mode)"), null),
        Text("--data", "Local mode: state and finding files (default ./fuzzfarm-data)", "fuzzfarm-data")!,
        Text("--address", "Address to listen on (default 127.0.0.1)", "127.0.0.1")!,
        Text("--advertise", "Address to advertise to other silos (default: --address; 'hostname': this host's address)", null),
        Number("--silo-port", "Silo-to-silo port (default 11111)", 11111),
        Number("--gateway-port", "Client gateway port (default 30000)", 30000),
        Text("--cluster-id", "Cluster id (default fuzzfarm)", "fuzzfarm")!,
        Text("--report-journal", "Append every durable finding report to this file (audits, the kill test)", null),
        Text("--primary", "Local mode, several silos on one machine: the first silo's HOST:SILOPORT", null),
        Text("--http", "HTTP listener for /metrics, the web dashboard and /healthz (default 127.0.0.1:5080; port 0: any; 'off')", "127.0.0.1:5080")!,
        Text("--otlp", "OTLP endpoint for metrics and traces, e.g. http://127.0.0.1:4317 (default: none)", null),
        Text("--otlp-protocol", "grpc (default) or http/protobuf", "grpc")!,
        Text("--findings", "Also write acknowledged findings here as .trace + .json (default: DATA/findings locally, none with Redis)", null),
        Text("--log-file", "The silo's log (Orleans' and FuzzFarm's) to this file; FuzzFarm's warnings stay on the console (run: DATA/silo.log; silo: console)", null));

    private static string Variable(string flag) => FuzzFarmHostOptions.EnvironmentVariables.Single(e => e.Flag == flag).Variable;

#pragma warning disable CS8619 // a null default is the point for the optional ones
    private static Option<string?> Text(string flag, string description, string? fallback) => new(flag)
    {
        Description = $"{description} [env {Variable(flag)}]",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(Variable(flag)) is { Length: > 0 } v ? v : fallback,
    };
#pragma warning restore CS8619

    private static Option<int> Number(string flag, string description, int fallback) => new(flag)
    {
        Description = $"{description} [env {Variable(flag)}]",
        DefaultValueFactory = result =>
        {
            var name = Variable(flag);
            if (Environment.GetEnvironmentVariable(name) is not { Length: > 0 } v) return fallback;
            if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
            result.AddError($"{name}='{v}' is not a number ({flag})"); // a parse error: reported like a bad flag, exit 2
            return fallback;
        },
    };

    public static Command Run(TextWriter stdout, TextWriter stderr)
    {
        var host = NewHostArgs(redisRequired: false);
        var maxSeconds = new Option<double?>("--max-seconds") { Description = "Stop after this many seconds (default: until Ctrl-C)" };
        var seed = new Option<string?>("--seed") { Description = "Campaign seed (default 0)" };
        var name = new Option<string>("--campaign") { Description = "Campaign name (default 'default')", DefaultValueFactory = _ => "default" };
        var failOnFinding = new Option<bool>("--fail-on-finding") { Description = "Exit 1 when a hazard (not a refusal, not the canary alone) was found, for CI gates" };
        var command = new Command("run", "Run the default campaign on a local single silo (embedded defaults, no external services)") { maxSeconds, seed, name, failOnFinding };
        foreach (var o in host.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var options = host.Read(parse);
            if (options.Redis is not null) throw new UsageException("run is the local mode; use 'fuzzfarm silo --redis' and 'fuzzfarm campaign start' for a cluster");
            var seconds = parse.GetValue(maxSeconds);
            if (seconds is { } sec && !(sec > 0 && sec <= CampaignGrain.MaxSeconds))
                throw new UsageException($"--max-seconds: {sec.ToString(CultureInfo.InvariantCulture)} is not in (0, {CampaignGrain.MaxSeconds:0}] seconds");
            return RunLocal(options, seconds, CommonOptions.ParseSeed(parse.GetValue(seed)), parse.GetValue(name)!, parse.GetValue(failOnFinding), stdout, stderr);
        });
        return command;
    }

    public static Command Silo(TextWriter stdout, TextWriter stderr)
    {
        var host = NewHostArgs(redisRequired: false);
        var command = new Command("silo", "Run a silo until stopped: joins a Redis cluster (--redis), or a local one (--primary, file storage)");
        foreach (var o in host.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var options = host.Read(parse);
            using var app = BuildSilo(options);
            using var stop = StopSignal.Listen(stderr, "stopping the silo: its grains deliver and deactivate");
            StartHost(app, options);
            stdout.WriteLine($"silo up: {options.Address}:{options.SiloPort} (gateway {options.GatewayPort}), cluster '{options.ClusterId}', {(options.Redis is null ? $"local, data {Path.GetFullPath(options.DataDirectory)}" : $"redis {options.Redis}")}");
            if (FuzzFarmSilo.HttpAddress(app) is { } web) stdout.WriteLine($"dashboard {web}  metrics {new Uri(web, "metrics")}");
            stdout.Flush();
            stop.Token.WaitHandle.WaitOne();
            stdout.WriteLine("silo stopping…");
            stdout.Flush();
            app.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            stdout.WriteLine("silo stopped");
            return ExitCodes.Clean;
        });
        return command;
    }

    public static Command Campaign(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("campaign", "Cluster client: start, status, stop, findings");
        // A client needs only where the cluster is: Redis (cluster mode) or the local silo's gateway, and the cluster id.
        var redis = Text("--redis", "Redis HOST:PORT of the cluster (default: the local silo's gateway)", null);
        var gatewayPort = Number("--gateway-port", "The local silo's gateway port (default 30000)", 30000);
        var clusterId = Text("--cluster-id", "Cluster id (default fuzzfarm)", "fuzzfarm")!;
        FuzzFarmHostOptions Client(ParseResult p) => new() { Redis = p.GetValue(redis), GatewayPort = p.GetValue(gatewayPort), ClusterId = p.GetValue(clusterId)! };
        var name = new Option<string>("--name") { Description = "Campaign name (default 'default')", DefaultValueFactory = _ => "default" };
        var machines = new Option<string[]>("--machine") { Description = "Machine spec or 'swarm' (repeatable; default: the run defaults)", AllowMultipleArgumentsPerToken = false };
        var variants = new Option<string?>("--variants") { Description = "Comma-separated variant ids (default: all)" };
        var envs = new Option<string?>("--envs") { Description = "strict,adversarial (default: both)" };
        var maxSeconds = new Option<double?>("--max-seconds") { Description = "Time budget" };
        var maxExecs = new Option<long?>("--max-execs") { Description = "Executions per machine grain" };
        var seed = new Option<string?>("--seed") { Description = "Campaign seed" };
        var statusJson = new JsonOut("the status");
        var findingsJson = new JsonOut("the findings");

        var versionFile = new Option<string?>("--version-file")
        {
            Description = "A C text or patch of split_kernel_leaf_mapping() (as fuzzfarm check takes it): one more version, compiled by the silos",
        };
        var versionBase = new Option<string?>("--version-base") { Description = "With --version-file: the shipped version it changes (what a patch applies to)" };
        var versionId = new Option<string>("--version-id") { Description = "With --version-file: the version's id in the campaign", DefaultValueFactory = _ => "yours" };
        var start = new Command("start", "Start a campaign") { name, machines, variants, envs, maxSeconds, maxExecs, seed, versionFile, versionBase, versionId };
        var status = new Command("status", "Campaign progress") { name };
        var stop = new Command("stop", "Stop a campaign") { name };
        var findings = new Command("findings", "The aggregator's findings, one per root cause, and the verdict table of campaign --name") { name };
        foreach (var o in statusJson.All) status.Options.Add(o);
        foreach (var o in findingsJson.All) findings.Options.Add(o);
        foreach (var c in new[] { start, status, stop, findings })
        {
            foreach (var o in new Option[] { redis, gatewayPort, clusterId }) c.Options.Add(o);
            command.Subcommands.Add(c);
        }

        start.SetAction(parse =>
        {
            // Checked here, with the silo's own validator, before any connection.
            var spec = new CampaignSpec
            {
                Machines = parse.GetValue(machines) is { Length: > 0 } m ? m : DefaultMachines,
                Variants = Split(parse.GetValue(variants)) ?? [.. VariantCatalog.Ids],
                Envs = Split(parse.GetValue(envs)) ?? DefaultEnvs,
                Seed = CommonOptions.ParseSeed(parse.GetValue(seed)),
                MaxSeconds = parse.GetValue(maxSeconds),
                MaxExecutionsPerMachine = parse.GetValue(maxExecs) ?? 0,
            };
            foreach (var v in spec.Variants) CommonOptions.Variant(v);
            if (parse.GetValue(versionFile) is { } file)
            {
                var id = parse.GetValue(versionId)!;
                if (!FuzzFarm.Language.TraceNames.IsVariantId(id) || VariantCatalog.TryGet(id, out _))
                    throw new UsageException($"--version-id: '{id}' must be a new id of the form [a-z0-9][a-z0-9-']*");
                var text = VersionTextOf(file, CheckCommand.BaseVersion(parse.GetValue(versionBase)), id, stderr);
                if (text is null) return ExitCodes.BadInput;
                spec = spec with { Variants = [.. spec.Variants, id], Texts = [text] };
            }
            else if (parse.GetValue(versionBase) is not null) throw new UsageException("--version-base goes with --version-file");

            if (CampaignGrain.Problems(spec) is { Count: > 0 } problems) throw new UsageException(string.Join("; ", problems));
            return WithClient(Client(parse), async client =>
            {
                var s = await client.GetGrain<ICampaignGrain>(parse.GetRequiredValue(name)).Start(spec);
                if (s.AlreadyRunning)
                {
                    stdout.WriteLine($"campaign '{s.Name}' is running already ({s.Machines.Count(x => x.Running)}/{s.Machines.Count} machine grains): the options given were not applied; 'fuzzfarm campaign stop' first");
                    return ExitCodes.BadInput;
                }

                stdout.WriteLine($"campaign '{s.Name}' {s.State}: {s.Machines.Count} machine grains");
                return ExitCodes.Clean;
            });
        });
        status.SetAction(parse => WithClient(Client(parse), async client =>
        {
            var s = await client.GetGrain<ICampaignGrain>(parse.GetRequiredValue(name)).Status();
            statusJson.Emit(parse, stdout, System.Text.Json.JsonSerializer.Serialize(s, CliJson.Default.CampaignStatus));
            if (!statusJson.ToStdout(parse))
            {
                stdout.WriteLine($"campaign '{s.Name}': {s.State}, {s.Executions:N0} executions, {s.Findings} findings, {s.Machines.Count(m => m.Running)}/{s.Machines.Count} machines running");
                foreach (var m in s.Machines) stdout.WriteLine($"  {m.Key,-60} {(m.Running ? "running" : "idle"),-8} {m.Executions,12:N0} execs  findings {m.Findings,3}  outbox {m.Outbox}  {m.Silo}");
            }

            return ExitCodes.Clean;
        }));
        stop.SetAction(parse => WithClient(Client(parse), async client =>
        {
            await client.GetGrain<ICampaignGrain>(parse.GetRequiredValue(name)).Stop();
            stdout.WriteLine("stopped");
            return ExitCodes.Clean;
        }));
        findings.SetAction(parse => WithClient(Client(parse), async client =>
        {
            var list = await client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings();
            findingsJson.Emit(parse, stdout, System.Text.Json.JsonSerializer.Serialize(list, CliJson.Default.IReadOnlyListFindingRecord));
            if (!findingsJson.ToStdout(parse))
            {
                PrintFindings(stdout, list);
                var campaignStatus = await client.GetGrain<ICampaignGrain>(parse.GetRequiredValue(name)).Status();
                PrintVerdicts(stdout, list, campaignStatus.Machines);
            }

            return list.Count > 0 ? ExitCodes.Violation : ExitCodes.Clean;
        }));
        return command;
    }

    /// <summary>A silo whose signals the command handles (see <see cref="StopSignal"/>).</summary>
    internal static IHost BuildSilo(FuzzFarmHostOptions options, Action<FarmOptions>? farm = null) => FuzzFarmSilo.Build(options, farm, consoleLifetime: false);

    /// <summary>Starts a silo host; a listener that cannot bind is a usage error naming the flag, not a stack trace.</summary>
    internal static void StartHost(IHost app, FuzzFarmHostOptions options)
    {
        try
        {
            app.Start();
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"--http {options.Http}: {e.Message} (another silo or program has it; pick another port, 0 for any, or 'off')");
        }
    }

    /// <summary>
    /// The findings by kind: hazards a kernel caller reaches (strict), hazards that need an environment assumption,
    /// expected refusals (a blackout -EBUSY and its WARN), and what shows only on the canary. One line per root cause,
    /// then the versions its reproducer shows it on, the environment it needs and the kernel callers it uses.
    /// </summary>
    internal static void PrintFindings(TextWriter w, IReadOnlyList<FindingRecord> list)
    {
        w.WriteLine($"{list.Count} finding(s): one per root cause");
        foreach (var (kind, members) in list.GroupBy(VerdictGrid.Kind).OrderBy(g => g.Key).Select(g => (g.Key, g.ToList())))
        {
            w.WriteLine($" {VerdictGrid.KindTitle(kind)} ({members.Count}):");
            foreach (var f in members)
            {
                w.WriteLine($"  {f.SignatureKey,-36} {f.Title}");
                var versions = f.Reproduces.Count > 0 ? f.Reproduces : f.Variants;
                var env = FindingsLedger.AssumptionCount(f.Assumptions) == 0 ? "strict (no assumption)" : $"adversarial ({f.Assumptions})";
                var callers = f.Callers.Count > 0 ? string.Join(", ", f.Callers) : "none from the catalog";
                w.WriteLine($"  {"",-36}   versions {string.Join(", ", versions)}; env {env}; callers {callers}; {f.SmallestEvents} events, hits {f.Hits:N0}");
            }
        }
    }

    /// <summary>
    /// The campaign's verdict table: root causes × versions. A cell is ✘ where the version showed the root cause
    /// (strict when it needed no assumption), else "– N": the campaign ran N executions on that version and none of
    /// them showed it. Bounded searches per cell (and proofs of absence) are <c>fuzzfarm verdicts DIR</c>'s.
    /// </summary>
    /// <summary>What the runs' splits cost the linear map, per version, per execution (§9; the FINALIZE repaint counts).</summary>
    internal static void PrintFragmentation(TextWriter w, IEnumerable<MachineStatus> machines)
    {
        var byVersion = VerdictGrid.FragmentationByVersion(machines)
            .OrderBy(t => VariantCatalog.TryGet(t.Key, out var v) ? v.Order : int.MaxValue).ThenBy(t => t.Key, StringComparer.Ordinal).ToList();
        if (byVersion.Count == 0) return;
        w.WriteLine();
        w.WriteLine("fragmentation per execution (what the splits cost the linear map; the FINALIZE repaint counts):");
        w.WriteLine($"  {"version",-22} {"execs",12} {"leaves",10} {"table pages",12} {"MiB page-mapped",16}");
        foreach (var (version, t) in byVersion)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {version,-22} {t.Executions,12:N0} {(double)t.Leaves / t.Executions,10:N1} {(double)t.TablePages / t.Executions,12:N1} {t.BlockBytesLost / (double)t.Executions / (1024 * 1024),16:N1}"));
        }
    }

    internal static void PrintVerdicts(TextWriter w, IReadOnlyList<FindingRecord> list, IEnumerable<MachineStatus> machines)
    {
        if (list.Count == 0) return;
        var versions = VariantCatalog.All;
        var execs = VerdictGrid.ExecutionsByVersion(machines);
        w.WriteLine();
        w.WriteLine("verdicts (root cause × version; ✘ strict: the kernel's own callers, ✘ adv: needs assumptions, – N: not seen in the campaign's N execs on that version):");
        w.WriteLine($"  {"",-36}" + string.Concat(versions.Select(v => $" {(v.Letter.Length > 0 ? v.Letter : v.Id),-8}")));
        foreach (var (kind, members) in list.GroupBy(VerdictGrid.Kind).OrderBy(g => g.Key).Select(g => (g.Key, g.ToList())))
        {
            w.WriteLine($"  {VerdictGrid.KindTitle(kind)}:");
            foreach (var f in members)
                w.WriteLine($"  {f.SignatureKey,-36}" + string.Concat(versions.Select(v => $" {VerdictGrid.Cell(f, v.Id, execs.GetValueOrDefault(v.Id)),-8}")));
        }

        w.WriteLine("  (bounded searches per cell and proofs of absence: fuzzfarm verdicts DATA/findings)");
    }

    private static string[]? Split(string? text) =>
        text?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
