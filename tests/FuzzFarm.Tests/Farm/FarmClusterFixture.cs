using System.Diagnostics;
using System.Diagnostics.Metrics;
using FuzzFarm.Telemetry;
using System.Collections.Concurrent;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace FuzzFarm.Tests.Farm;

/// <summary>Every report a machine grain made durable, from every silo of the test cluster (the silos run in this process).</summary>
public sealed class RecordingReportJournal : IReportJournal
{
    private readonly ConcurrentQueue<FindingReport> _reports = new();

    public IReadOnlyList<FindingReport> Reports => [.. _reports];

    public void Reported(FindingReport report) => _reports.Enqueue(report);
}

/// <summary>
/// What <c>AddFuzzFarm</c> registers, minus clustering (the test cluster brings its own): memory grain storage under
/// the farm's name, the variant catalog, the recording journal, no finding files, short slices. Default placement is
/// hash-based (machine grains carry their own, even placement): Orleans 10's default (resource-optimized, preferring the local silo when silos look alike, which
/// in-process silos always do) put every machine grain on the campaign grain's silo; hashing the grain ids spreads
/// them, and does so the same way on every run.
/// </summary>
public sealed class FarmSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder.AddMemoryGrainStorage(FarmKeys.Storage);
        siloBuilder.Services.AddSingleton<IVariantResolver, CatalogVariantResolver>();
        siloBuilder.Services.AddSingleton<IReportJournal>(FarmClusterFixture.Journal);
        siloBuilder.Services.AddSingleton<IFindingSink, NoFindingSink>();
        siloBuilder.Services.AddSingleton(TimeProvider.System);
        siloBuilder.Services.AddMetrics();
        siloBuilder.Services.AddSingleton<FuzzFarm.Telemetry.FuzzFarmMetrics>();
        siloBuilder.AddActivityPropagation();
        siloBuilder.Services.Configure<FarmOptions>(o => o.SliceBudget = TimeSpan.FromMilliseconds(10));
        siloBuilder.Services.AddSingleton<PlacementStrategy, HashBasedPlacement>();
        siloBuilder.Services.AddPlacementDirector<EvenPlacement, EvenPlacementDirector>();
    }
}

/// <summary>A three-silo in-process test cluster running the farm, shared by the tests of a class.</summary>
public sealed class FarmClusterFixture : IAsyncLifetime
{
    /// <summary>The silos are created by type (no constructor arguments), so the journal they share is static.</summary>
    public static RecordingReportJournal Journal { get; } = new();

    public const string CampaignName = "t";

    /// <summary>Z3's machine twice (two machine grains per variant find the same signatures), realm-v2 and the canary.</summary>
    public static CampaignSpec Spec { get; } = new()
    {
        Machines = ["cpus=2 bbml2=0 ram=4G", "cpus=2 bbml2=0 ram=4G"],
        Variants = ["realm-v2", "canary"],
        Envs = ["adversarial"],
        Seed = 1,
        MaxExecutionsPerMachine = 20000,
    };

    private Task<CampaignOutcome>? _campaign;
    private ActivityListener? _spans;
    private MeterListener? _meters;

    /// <summary>Every FuzzFarm and Orleans-application span stopped in any silo of the cluster (in-process silos).</summary>
    public ConcurrentQueue<Activity> Spans { get; } = new();

    /// <summary>Event-driven FuzzFarm measurements of every silo: instrument|tags → sum.</summary>
    public ConcurrentDictionary<string, double> Measured { get; } = new();

    /// <summary>Reads every silo's observable FuzzFarm instruments now: (instrument, tags, value) per measurement.</summary>
    public List<(string Instrument, Dictionary<string, string> Tags, double Value)> Observe()
    {
        var list = new List<(string, Dictionary<string, string>, double)>();
        lock (_observed)
        {
            _observed.Clear();
            _meters!.RecordObservableInstruments();
            list.AddRange(_observed);
        }

        return list;
    }

    private readonly List<(string, Dictionary<string, string>, double)> _observed = [];
    private readonly ConcurrentBag<object> _scopes = [];

    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>Runs the two-machine campaign once (the first test to ask starts it; the others share its outcome).</summary>
    public Task<CampaignOutcome> Campaign() => _campaign ??= RunCampaign();

    public async ValueTask InitializeAsync()
    {
        _spans = new ActivityListener
        {
            ShouldListenTo = s => s.Name is FuzzFarmTelemetry.ActivitySourceName or FuzzFarmTelemetry.OrleansActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_spans);
        _meters = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == FuzzFarmTelemetry.MeterName) l.EnableMeasurementEvents(i);
            },
        };
        _meters.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        _meters.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        _meters.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        _meters.Start();
        // (The silos' meter factories are known once they run: measurements of other meters named FuzzFarm, from
        // other tests in this process, are left out by scope.)
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<FarmSiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        foreach (var silo in Cluster.Silos.OfType<InProcessSiloHandle>())
            _scopes.Add(silo.SiloHost.Services.GetRequiredService<IMeterFactory>());
    }

    private async Task<CampaignOutcome> RunCampaign()
    {
        var campaign = Cluster.Client.GetGrain<ICampaignGrain>(CampaignName);
        var started = await campaign.Start(Spec);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        var status = started;
        while (!Done(status) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
            status = await campaign.Status();
        }

        var done = Done(status);
        if (!done) await campaign.Stop();
        var findings = await Cluster.Client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings();
        var matrix = await Cluster.Client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Matrix();
        return new CampaignOutcome(started, status, done, findings, matrix, [.. Journal.Reports.Where(r => r.MachineKey.StartsWith(CampaignName + "/", StringComparison.Ordinal))]);

        static bool Done(CampaignStatus s) => s.State == "finished" || (s.Machines.Count > 0 && s.Machines.All(m => !m.Running && m.Silo != "unreachable"));
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_scopes.Contains(instrument.Meter.Scope)) return;
        var map = new Dictionary<string, string>();
        foreach (var t in tags) map[t.Key] = t.Value?.ToString() ?? "";
        if (instrument.IsObservable)
        {
            lock (_observed) _observed.Add((instrument.Name, map, value));
            return;
        }

        var key = instrument.Name + "|" + string.Join(",", map.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
        Measured.AddOrUpdate(key, value, (_, v) => v + value);
    }

    public async ValueTask DisposeAsync()
    {
        _spans?.Dispose();
        _meters?.Dispose();
        if (Cluster is null) return;
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

/// <summary>A finished (or timed-out) campaign: its first and last status, the aggregator's view, the journaled reports.</summary>
public sealed record CampaignOutcome(
    CampaignStatus Started,
    CampaignStatus Final,
    bool Finished,
    IReadOnlyList<FindingRecord> Findings,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Matrix,
    IReadOnlyList<FindingReport> Journaled);
