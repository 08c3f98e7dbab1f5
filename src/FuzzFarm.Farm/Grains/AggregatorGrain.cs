using Microsoft.Extensions.Logging;

namespace FuzzFarm.Farm;

/// <summary>
/// The cluster's findings ledger (a thin shell over <see cref="FindingsLedger"/>): a batch is acknowledged only
/// after the ledger state is written to grain storage, so an acknowledged finding survives a silo crash.
/// </summary>
public sealed class AggregatorGrain(
    [PersistentState("ledger", FarmKeys.Storage)] IPersistentState<LedgerState> state,
    IFindingSink sink,
    ILogger<AggregatorGrain> logger) : Grain, IAggregatorGrain
{
    private FindingsLedger _ledger = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _ledger = new FindingsLedger(state.State);
        return Task.CompletedTask;
    }

    public async Task<IngestResult> Ingest(IReadOnlyList<FindingReport> batch)
    {
        var result = _ledger.Ingest(batch);
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

        foreach (var key in _ledger.LastChanged.ToList())
        {
            if (!_ledger.TryGet(key, out var record)) continue;
            try
            {
                await sink.Write(record);
            }
            catch (IOException e)
            {
                // The ledger is durable already; the file copy is a convenience.
                logger.LogWarning(e, "could not write finding files for {Signature}", record.SignatureKey);
            }
        }

        return result;
    }

    public Task<IReadOnlyList<FindingRecord>> Findings() => Task.FromResult<IReadOnlyList<FindingRecord>>([.. _ledger.Records]);

    public Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>> Matrix() =>
        Task.FromResult<IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>>(
            _ledger.Matrix().ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, int>)kv.Value));
}
