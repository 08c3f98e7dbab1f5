using System.Diagnostics;
using System.Diagnostics.Metrics;
using static FuzzFarm.Telemetry.FuzzFarmTelemetry;

namespace FuzzFarm.Telemetry;

/// <summary>What a machine grain shows of itself, replaced as a whole after each slice (read without locks).</summary>
public sealed record MachineSample(
    string Machine,
    string Campaign,
    string Variant,
    string Env,
    long Executions,
    double ExecutionsPerSecond,
    int Edges,
    int Features,
    int Corpus,
    int Outbox,
    long Retries,
    long ReplayDrops,
    long Duplicates,
    bool Running)
{
    /// <summary>Page-table pages the session's runs allocated (fragmentation, §9).</summary>
    public long TablePages { get; init; }

    /// <summary>Boot-layout block bytes the session's runs left page-mapped.</summary>
    public long BlockBytesLost { get; init; }
}

/// <summary>
/// One root cause in the aggregator's ledger (for the version × invariant matrix and hit counts): the kept
/// reproducer's variant, and every version that showed it.
/// </summary>
public readonly record struct SignatureSample(string Title, string Variant, string Invariant, string Env, long Hits, IReadOnlyList<string>? Variants = null,
    DateTimeOffset FirstSeen = default);

/// <summary>Something whose current state the observable instruments read at collection time.</summary>
public interface IMachineSampleSource
{
    MachineSample? Sample { get; }
}

/// <summary>
/// The silo's FuzzFarm instruments on a meter from <see cref="IMeterFactory"/>. Machine grains register
/// themselves while active (observable counters and gauges read their latest <see cref="MachineSample"/>, so a
/// series exists from activation on, zeros included); the aggregator registers its ledger; events that happen
/// once (a finding minimized, reports ingested) are recorded as they happen.
/// </summary>
public sealed class FuzzFarmMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly Lock _gate = new();
    private readonly List<IMachineSampleSource> _machines = [];
    private Func<IReadOnlyList<SignatureSample>>? _ledger;
    private readonly Counter<long> _findings;
    private long _aggregatorDuplicates;
    private readonly Counter<long> _ingested;
    private readonly Histogram<double> _minimization;

    public FuzzFarmMetrics(IMeterFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _meter = factory.Create(MeterName, FuzzFarmTelemetry.Version);
        _findings = _meter.CreateCounter<long>(Instruments.Findings, "{finding}",
            "New distinct findings accepted by the aggregator, by the campaign of the machine that found them");
        _ingested = _meter.CreateCounter<long>(Instruments.ReportsIngested, "{report}", "Finding reports the aggregator acknowledged");
        _minimization = _meter.CreateHistogram<double>(Instruments.MinimizationDuration, "s", "Time to minimize and replay-gate one finding",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60] });

        _meter.CreateObservableCounter(Instruments.Executions, () => Machines(s => s.Executions), "{execution}", "Programs executed per machine grain");
        _meter.CreateObservableGauge(Instruments.ExecutionsPerSecond, () => Machines(s => s.ExecutionsPerSecond), "{execution}/s", "Executions per second per machine grain (last slices)");
        _meter.CreateObservableGauge(Instruments.CoverageEdges, () => Machines(s => (long)s.Edges), "{edge}", "SharpFuzz edges covered (0 where the silo runs uninstrumented)");
        _meter.CreateObservableGauge(Instruments.CoverageFeatures, () => Machines(s => (long)s.Features), "{feature}", "Model-state features covered");
        _meter.CreateObservableGauge(Instruments.CorpusSize, () => Machines(s => (long)s.Corpus), "{input}", "Corpus entries per machine grain");
        _meter.CreateObservableGauge(Instruments.OutboxDepth, () => Machines(s => (long)s.Outbox), "{report}", "Durable reports not yet acknowledged by the aggregator");
        _meter.CreateObservableCounter(Instruments.OutboxRetries, () => Machines(s => s.Retries), "{retry}", "Report delivery retries");
        _meter.CreateObservableCounter(Instruments.ReplayGateDrops, () => Machines(s => s.ReplayDrops), "{finding}", "Minimized findings the replay gate refused");
        _meter.CreateObservableCounter(Instruments.FindingHits, LedgerHits, "{hit}", "Times each known signature was hit, cluster-wide");
        _meter.CreateObservableGauge(Instruments.Signatures, LedgerSignatures, "{signature}", "Root causes in the ledger seen on each version, by invariant (a root cause shared by versions counts once per version)");
        _meter.CreateObservableGauge(Instruments.LastNewRootCause, LastNewRootCause, "s",
            "Unix time at which the ledger's newest root cause was first seen (time() minus it: time since the last new root cause)");
        _meter.CreateObservableGauge(Instruments.ActiveMachineGrains, ActiveMachines, "{grain}",
            "Machine grains active on this silo: state=running (fuzzing) or idle (finished, stopped, draining)");
        _meter.CreateObservableCounter(Instruments.FragmentationTablePages, () => Machines(s => s.TablePages), "{page}",
            "Page-table pages the runs' splits allocated, summed over executions (per execution: divide by the executions' rate)");
        _meter.CreateObservableCounter(Instruments.FragmentationBlockBytesLost, () => Machines(s => s.BlockBytesLost), "By",
            "Bytes block-mapped in the boot layout that runs left page-mapped, summed over executions");
        _meter.CreateObservableCounter(Instruments.DuplicatesDropped, Duplicates, "{finding}",
            "Violations of an already-known signature, not reported again: hits on the machine grain (stage=machine), reports folded by the aggregator (stage=aggregator)");
    }

    /// <summary>A machine grain became active here.</summary>
    public void Register(IMachineSampleSource source)
    {
        lock (_gate)
        {
            if (!_machines.Contains(source)) _machines.Add(source);
        }
    }

    public void Unregister(IMachineSampleSource source)
    {
        lock (_gate) _machines.Remove(source);
    }

    /// <summary>The aggregator's ledger is active on this silo (null: not any more).</summary>
    public void SetLedger(Func<IReadOnlyList<SignatureSample>>? ledger)
    {
        lock (_gate) _ledger = ledger;
    }

    public void Minimized(TimeSpan elapsed, string variant, string invariant) =>
        _minimization.Record(elapsed.TotalSeconds, new TagList { { Tags.Variant, variant }, { Tags.Invariant, invariant } });

    public void FindingAccepted(string campaign, string variant, string invariant, string env) =>
        _findings.Add(1, FindingTags(campaign, variant, invariant, env));

    /// <summary>
    /// Creates a campaign's finding series at zero, one per variant × invariant × env, so its first finding is an
    /// increase Prometheus can see (a series that appears at 1 shows no increase).
    /// </summary>
    public void CampaignAnnounced(string campaign, IEnumerable<string> variants, IEnumerable<string> invariants, IEnumerable<string> envs)
    {
        foreach (var variant in variants)
        {
            foreach (var invariant in invariants)
            {
                foreach (var env in envs) _findings.Add(0, FindingTags(campaign, variant, invariant, env));
            }
        }
    }

    private static TagList FindingTags(string campaign, string variant, string invariant, string env) =>
        new() { { Tags.Campaign, campaign }, { Tags.Variant, variant }, { Tags.Invariant, invariant }, { Tags.Env, env } };

    /// <summary>Reports the aggregator folded into a known signature.</summary>
    public void DuplicatesAtAggregator(long count) => Interlocked.Add(ref _aggregatorDuplicates, count);

    public void ReportsIngested(long count) => _ingested.Add(count);

    /// <summary>Touches the event-driven series so they exist (at zero) before the first event.</summary>
    public void ZeroIngestSeries() => _ingested.Add(0);

    public int ActiveMachineCount
    {
        get
        {
            lock (_gate) return _machines.Count;
        }
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<T>> Machines<T>(Func<MachineSample, T> value, (string Key, string Value)? extra = null)
        where T : struct
    {
        IMachineSampleSource[] sources;
        lock (_gate) sources = [.. _machines];
        var list = new List<Measurement<T>>(sources.Length);
        foreach (var source in sources)
        {
            if (source.Sample is not { } s) continue;
            var tags = new TagList
            {
                { Tags.Machine, s.Machine }, { Tags.Campaign, s.Campaign }, { Tags.Variant, s.Variant }, { Tags.Env, s.Env },
            };
            if (extra is { } e) tags.Add(e.Key, e.Value);
            list.Add(new Measurement<T>(value(s), tags));
        }

        return list;
    }

    private IEnumerable<Measurement<long>> Duplicates() =>
        Machines(s => s.Duplicates, (Tags.Stage, "machine"))
            .Append(new Measurement<long>(Interlocked.Read(ref _aggregatorDuplicates), new KeyValuePair<string, object?>(Tags.Stage, "aggregator")));

    private IEnumerable<Measurement<int>> ActiveMachines()
    {
        IMachineSampleSource[] sources;
        lock (_gate) sources = [.. _machines];
        var running = sources.Count(s => s.Sample?.Running == true);
        return
        [
            new Measurement<int>(running, new KeyValuePair<string, object?>(Tags.State, "running")),
            new Measurement<int>(sources.Length - running, new KeyValuePair<string, object?>(Tags.State, "idle")),
        ];
    }

    private IReadOnlyList<SignatureSample> Ledger()
    {
        Func<IReadOnlyList<SignatureSample>>? ledger;
        lock (_gate) ledger = _ledger;
        return ledger?.Invoke() ?? [];
    }

    private IEnumerable<Measurement<long>> LedgerHits() =>
        Ledger().Select(s => new Measurement<long>(s.Hits, new TagList
        {
            { Tags.Title, s.Title }, { Tags.Variant, s.Variant }, { Tags.Invariant, s.Invariant }, { Tags.Env, s.Env },
        }));

    private IEnumerable<Measurement<double>> LastNewRootCause()
    {
        var ledger = Ledger();
        if (ledger.Count == 0) yield break;
        yield return new Measurement<double>(ledger.Max(s => s.FirstSeen).ToUnixTimeMilliseconds() / 1000.0);
    }

    private IEnumerable<Measurement<long>> LedgerSignatures() =>
        Ledger().SelectMany(s => (s.Variants is { Count: > 0 } all ? all : [s.Variant]).Select(v => (Variant: v, s.Invariant)))
            .GroupBy(s => (s.Variant, s.Invariant)).Select(g => new Measurement<long>(g.LongCount(), new TagList
        {
            { Tags.Variant, g.Key.Variant }, { Tags.Invariant, g.Key.Invariant },
        }));
}
