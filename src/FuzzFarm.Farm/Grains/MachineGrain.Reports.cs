using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Farm;

/// <summary>
/// A machine grain's reports: a finding becomes a numbered report in the durable outbox; the outbox is delivered in
/// order through the silo's report gateway and trimmed by what the aggregator acknowledged.
/// </summary>
public sealed partial class MachineGrain
{
    void IEngineListener.OnFinding(Finding finding)
    {
        var a = state.State.Assignment!;
        var traceParent = EndFindingSpans(finding.Signature, finding.Program.Events.Length);
        var seq = state.State.NextSequence++;
        state.State.Outbox.Add(new FindingReport
        {
            MachineKey = this.GetPrimaryKeyString(),
            Sequence = seq,
            SignatureKey = finding.Signature.Key,
            Title = finding.Title,
            Variant = finding.Signature.Variant,
            Invariant = Invariants.Id(finding.Signature.Invariant),
            Where = Points.Name(finding.Signature.Where),
            Detail = finding.Signature.Detail,
            Env = a.Env,
            Trace = finding.TraceText,
            Events = finding.Program.Events.Length,
            FoundAtExecution = _sessionBase + finding.FoundAtExecution,
            FoundAt = time.GetUtcNow(),
            Assumptions = AssumptionNames.Format(finding.Violation.Assumptions),
            Machine = TraceWriter.FormatMachine(finding.Program.Machine),
            TraceParent = traceParent,
            Reproduces = finding.Matrix is { } row ? string.Join(",", row.Cells.Where(c => c.Reproduces).Select(c => c.Variant)) : finding.Signature.Variant,
            Callers = string.Join(",", finding.Callers.Select(c => c.Function).Distinct()),
        });
        _dirty = true;
    }

    /// <summary>Delivers a leftover outbox every second until it is empty (the grain stays active meanwhile).</summary>
    private void StartDrain()
    {
        _drain ??= this.RegisterGrainTimer(async _ =>
        {
            await Deliver();
            if (state.State.Outbox.Count == 0)
            {
                _drain?.Dispose();
                _drain = null;
            }
        }, new GrainTimerCreationOptions { DueTime = TimeSpan.FromSeconds(1), Period = TimeSpan.FromSeconds(1), KeepAlive = true });
    }

    /// <summary>Sends the outbox (in sequence order) and drops what the aggregator acknowledged.</summary>
    private async Task Deliver()
    {
        var outbox = state.State.Outbox;
        if (outbox.Count == 0) return;
        var batch = outbox.ToList();
        try
        {
            var gateway = GrainFactory.GetGrain<IReportGateway>(0);
            var attempts = 0;
            try
            {
                await _sharedPipeline.ExecuteAsync(async ct =>
                {
                    attempts++;
                    await gateway.Report(batch).WaitAsync(ct);
                });
            }
            finally
            {
                _retries += Math.Max(0, attempts - 1);
            }

            outbox.RemoveRange(0, batch.Count);
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Kept in the outbox: the next slice tries again (the circuit breaker spaces the attempts).
            logger.LogWarning("machine {Key}: {Count} report(s) not delivered yet: {Error}", this.GetPrimaryKeyString(), batch.Count, e.Message);
        }
    }
}
