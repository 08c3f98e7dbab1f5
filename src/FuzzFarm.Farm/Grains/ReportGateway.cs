using Orleans.Concurrency;

namespace FuzzFarm.Farm;

/// <summary>
/// Per-silo pre-aggregation in front of the one aggregator: reports arriving within a short window are folded
/// (<see cref="ReportFolding"/>) and sent as one batch; every caller's task completes when that batch is
/// acknowledged (durable), or fails with it — so a machine grain never drops a report it was not told was kept.
/// </summary>
[StatelessWorker(1), Reentrant]
public sealed class ReportGateway(Microsoft.Extensions.Options.IOptions<FarmOptions> options) : Grain, IReportGateway
{
    private List<FindingReport> _pending = [];
    private TaskCompletionSource<IngestResult>? _flush;

    public Task<IngestResult> Report(IReadOnlyList<FindingReport> batch)
    {
        _pending.AddRange(batch);
        if (_flush is not null) return _flush.Task;
        var flush = _flush = new TaskCompletionSource<IngestResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = FlushAfterWindow(flush);
        return flush.Task;
    }

    private async Task FlushAfterWindow(TaskCompletionSource<IngestResult> flush)
    {
        await Task.Delay(options.Value.GatewayWindow);
        var batch = _pending;
        _pending = [];
        _flush = null;
        try
        {
            var aggregator = GrainFactory.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator);
            flush.SetResult(await aggregator.Ingest(ReportFolding.Fold(batch)));
        }
        catch (Exception e)
        {
            flush.SetException(e);
        }
    }
}
