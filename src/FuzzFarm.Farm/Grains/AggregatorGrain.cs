using System.Diagnostics;
using FuzzFarm.Telemetry;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Farm;

/// <summary>
/// The cluster's findings ledger (a thin shell over <see cref="FindingsLedger"/>): a batch is acknowledged only
/// after the ledger state is written to grain storage, so an acknowledged finding survives a silo crash.
/// </summary>
public sealed class AggregatorGrain(
    [PersistentState("ledger", FarmKeys.Storage)] IPersistentState<LedgerState> state,
    IFindingSink sink,
    FuzzFarmMetrics metrics,
    TimeProvider time,
    ILogger<AggregatorGrain> logger) : Grain, IAggregatorGrain
{
    private FindingsLedger _ledger = null!;
    private volatile SignatureSample[] _signatures = [];
    private string _silo = "";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _silo = SiloName();
        _ledger = new FindingsLedger(state.State);
        Snapshot();
        metrics.ZeroIngestSeries();
        metrics.SetLedger(() => _signatures);
        // A crash between the ledger's write and the files' (or a failed file write) left records without files.
        var written = await WriteFiles([]);
        if (written > 0) logger.LogWarning("wrote the missing finding files of {Count} acknowledged finding(s)", written);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.SetLedger(null);
        return Task.CompletedTask;
    }

    public async Task<IngestResult> Ingest(IReadOnlyList<FindingReport> batch)
    {
        var started = time.GetUtcNow();
        var outcomes = new List<(FindingReport Report, IngestOutcome Outcome)>(batch.Count);
        var result = _ledger.Ingest(batch, (r, o) => outcomes.Add((r, o)));
        if (result.NewSignatures + result.SmallerReproducers + result.Duplicates > 0)
        {
            state.State = _ledger.State;
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                // Not durable, so not acknowledged: go back to what storage holds, so that the sender's retry is
                // taken as new rather than as a replay of reports the ledger only held in memory.
                await state.ReadStateAsync();
                _ledger = new FindingsLedger(state.State);
                throw;
            }
        }

        // Counted once durable (a failed write is retried by the sender and would count twice otherwise).
        Snapshot();
        Observe(outcomes, started);

        await WriteFiles(_ledger.LastChanged.ToList());
        return result;
    }

    /// <summary>
    /// Files for the records this batch changed, then for every record whose files are missing or stale. A failed
    /// write is logged, not thrown: the ledger is durable already and the next batch (or start) writes them.
    /// </summary>
    private async Task<int> WriteFiles(IReadOnlyList<string> changed)
    {
        try
        {
            foreach (var key in changed)
            {
                if (_ledger.TryGet(key, out var record)) await sink.Write(record);
            }

            return changed.Count + await sink.WriteMissing(_ledger.Records);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("could not write finding files ({Cause}); they are written after the next batch", e.Message);
            return 0;
        }
    }

    /// <summary>A campaign's finding series start at zero on the silo that counts them (see FuzzFarmMetrics.CampaignAnnounced).</summary>
    public Task Announce(string campaign, IReadOnlyList<string> variants, IReadOnlyList<string> envs)
    {
        metrics.CampaignAnnounced(campaign, variants, Model.Invariants.All.Select(Model.Invariants.Id), envs);
        return Task.CompletedTask;
    }

    private string SiloName()
    {
        try
        {
            return RuntimeIdentity;
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException)
        {
            return ""; // constructed outside a silo (unit tests)
        }
    }

    private void Snapshot() =>
        _signatures = [.. _ledger.Records.Select(r => new SignatureSample(r.Title, r.Variant, r.Invariant, r.Env, r.Hits, [.. r.Variants], r.FirstSeen))];

    /// <summary>Metrics, and one span per report continuing the trace its machine grain started (parent: TraceParent).</summary>
    private void Observe(List<(FindingReport Report, IngestOutcome Outcome)> outcomes, DateTimeOffset started)
    {
        var accepted = 0;
        foreach (var (r, outcome) in outcomes)
        {
            if (outcome != IngestOutcome.Replayed) accepted++;
            if (outcome == IngestOutcome.New) metrics.FindingAccepted(CampaignGrain.CampaignOf(r.MachineKey), r.Variant, r.Invariant, r.Env);
            if (outcome is IngestOutcome.Duplicate or IngestOutcome.Smaller) metrics.DuplicatesAtAggregator(1);
            if (!ActivityContext.TryParse(r.TraceParent, null, out var parent)) parent = default;
            using var span = FuzzFarmTelemetry.Source.StartActivity(
                FuzzFarmTelemetry.Activities.Aggregate, ActivityKind.Consumer, parent, startTime: started);
            span?.SetTag(FuzzFarmTelemetry.Tags.Signature, r.SignatureKey)
                .SetTag(FuzzFarmTelemetry.Tags.Machine, r.MachineKey)
                .SetTag(FuzzFarmTelemetry.Tags.Outcome, outcome.ToString().ToLowerInvariant())
                .SetTag(FuzzFarmTelemetry.Tags.Silo, _silo);
        }

        metrics.ReportsIngested(accepted);
    }

    public Task<IReadOnlyList<FindingRecord>> Findings() => Task.FromResult<IReadOnlyList<FindingRecord>>([.. _ledger.Records]);

    public Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>> Matrix() =>
        Task.FromResult<IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>>(
            _ledger.Matrix().ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, int>)kv.Value));
}
