using System.Diagnostics;
using FuzzFarm.Engine;
using FuzzFarm.Model;
using FuzzFarm.Telemetry;

namespace FuzzFarm.Farm;

/// <summary>What a machine grain shows of itself: the sample the silo's instruments read, and the finding spans.</summary>
public sealed partial class MachineGrain
{
    private volatile MachineSample? _sample;
    private long _rateStamp;
    private long _rateExecutions;
    private double _rate;
    private Activity? _findingSpan;
    private Activity? _minimizeSpan;
    private Activity? _outerSpan;
    private long _minimizeStart;

    MachineSample? IMachineSampleSource.Sample => _sample;

    /// <summary>Replaces the sample the silo's metrics read (the rate over the last second or more).</summary>
    private void Publish()
    {
        var now = time.GetTimestamp();
        var total = Total;
        var elapsed = time.GetElapsedTime(_rateStamp, now);
        if (_rateStamp == 0 || total < _rateExecutions)
        {
            (_rateStamp, _rateExecutions) = (now, total);
        }
        else if (elapsed >= TimeSpan.FromSeconds(1))
        {
            _rate = (total - _rateExecutions) / elapsed.TotalSeconds;
            (_rateStamp, _rateExecutions) = (now, total);
        }

        var a = state.State.Assignment;
        var last = _sample;
        // A stopped machine keeps showing the coverage it reached (a finished campaign's dashboards stay meaningful).
        _sample = new MachineSample(
            this.GetPrimaryKeyString(), a?.Campaign ?? "", a?.Variant ?? "", a?.Env ?? "", total, _session is null ? 0 : _rate,
            _session?.Edges ?? last?.Edges ?? 0, _session?.Features ?? last?.Features ?? 0, _session?.CorpusCount ?? last?.Corpus ?? 0,
            state.State.Outbox.Count, _retries, _session?.ReplayDropped ?? last?.ReplayDrops ?? 0, _session?.Duplicates ?? last?.Duplicates ?? 0,
            _timer is not null)
        {
            TablePages = _session?.FragmentationTablePages ?? last?.TablePages ?? 0,
            BlockBytesLost = _session?.FragmentationBlockBytesLost ?? last?.BlockBytesLost ?? 0,
        };
    }

    void IEngineListener.OnMinimizing(in Signature signature)
    {
        // A finding is the root of its own trace (not a child of whatever timer tick found it); minimization is its
        // child, and the aggregator continues the trace from the report's TraceParent, on whichever silo it lives.
        _outerSpan = Activity.Current;
        Activity.Current = null;
        var a = state.State.Assignment;
        _findingSpan = FuzzFarmTelemetry.Source.StartActivity(FuzzFarmTelemetry.Activities.Finding, ActivityKind.Internal);
        _findingSpan?.SetTag(FuzzFarmTelemetry.Tags.Machine, this.GetPrimaryKeyString())
            .SetTag(FuzzFarmTelemetry.Tags.Campaign, a?.Campaign)
            .SetTag(FuzzFarmTelemetry.Tags.Variant, signature.Variant)
            .SetTag(FuzzFarmTelemetry.Tags.Invariant, Invariants.Id(signature.Invariant))
            .SetTag(FuzzFarmTelemetry.Tags.Signature, signature.Key)
            .SetTag(FuzzFarmTelemetry.Tags.Silo, RuntimeIdentity);
        _minimizeSpan = FuzzFarmTelemetry.Source.StartActivity(FuzzFarmTelemetry.Activities.Minimize, ActivityKind.Internal);
        _minimizeStart = time.GetTimestamp();
    }

    void IEngineListener.OnReplayDropped(in Signature signature)
    {
        _minimizeSpan?.SetTag(FuzzFarmTelemetry.Tags.Outcome, "replay-gate-dropped");
        EndFindingSpans(signature, events: 0);
    }

    private string EndFindingSpans(in Signature signature, int events)
    {
        metrics.Minimized(time.GetElapsedTime(_minimizeStart), signature.Variant, Invariants.Id(signature.Invariant));
        _minimizeSpan?.SetTag(FuzzFarmTelemetry.Tags.Events, events);
        _minimizeSpan?.Dispose();
        var parent = _findingSpan?.Id ?? "";
        _findingSpan?.Dispose();
        (_findingSpan, _minimizeSpan) = (null, null);
        Activity.Current = _outerSpan;
        _outerSpan = null;
        return parent;
    }
}
