using System.Diagnostics;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace FuzzFarm.Farm;

/// <summary>A machine grain's durable state: its job, the next report number and the reports not yet acknowledged.</summary>
[GenerateSerializer, Alias("fuzzfarm.MachineGrainState")]
public sealed class MachineGrainState
{
    [Id(0)] public MachineAssignment? Assignment { get; set; }
    [Id(1)] public long NextSequence { get; set; } = 1;
    [Id(2)] public List<FindingReport> Outbox { get; set; } = [];
    [Id(3)] public bool Stopped { get; set; }

    /// <summary>Executions so far, saved every few seconds and at the end (a restarted grain continues the count).</summary>
    [Id(4)] public long ExecutionsBefore { get; set; }

    /// <summary>How many activations have run this job (the session seed changes per activation).</summary>
    [Id(5)] public int Activations { get; set; }
}

/// <summary>
/// One simulated machine × variant × environment (a thin shell over <see cref="FuzzSession"/>): fuzzes in slices of
/// about 25 ms on a grain timer, so calls interleave and no call blocks for long. A finding goes to the grain's
/// outbox and the outbox is written to storage before anything is sent; delivery goes through the silo's report
/// gateway under the Polly pipeline, and what is not acknowledged stays for the next slice. Report numbers make
/// redelivery harmless. Inputs that add coverage are offered to peers of the same variant and environment.
/// </summary>
[Orleans.Placement.HashBasedPlacement] // spread machines over the silos, the same way every run (the default keeps them next to their campaign)
public sealed class MachineGrain(
    [PersistentState("machine", FarmKeys.Storage)] IPersistentState<MachineGrainState> state,
    IVariantResolver variants,
    IReportJournal journal,
    IOptions<FarmOptions> options,
    TimeProvider time,
    FuzzFarmMetrics metrics,
    ILogger<MachineGrain> logger) : Grain, IMachineGrain, IEngineListener, IMachineSampleSource
{
    private static readonly ResiliencePipeline _sharedPipeline = ReportingResilience.Create();
    private readonly List<byte[]> _exchange = [];
    private FuzzSession? _session;
    private IGrainTimer? _timer;
    private long _retries;
    private long _lastExchange;
    private int _imported;
    private bool _dirty;
    private long _journaled;
    private long _sessionBase;
    private long _lastSave;
    private IGrainTimer? _drain;
    private volatile MachineSample? _sample;
    private long _rateStamp;
    private long _rateExecutions;
    private double _rate;
    private Activity? _findingSpan;
    private Activity? _minimizeSpan;
    private Activity? _outerSpan;
    private long _minimizeStart;

    MachineSample? IMachineSampleSource.Sample => _sample;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.Unregister(this);
        return Task.CompletedTask;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        metrics.Register(this);
        // A grain whose silo died resumes its job when it is activated again (the campaign pings its machines).
        if (state.State.Assignment is { } a && !state.State.Stopped && !Expired(a))
        {
            state.State.Activations++;
            await state.WriteStateAsync(cancellationToken);
            Begin(a);
        }
        else if (state.State.Outbox.Count > 0)
        {
            // Finished (or out of time) while reports were still undelivered: keep delivering them.
            StartDrain();
        }

        Publish();
    }

    public async Task Start(MachineAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        if (state.State.Assignment is not null && !state.State.Stopped && _session is not null) return; // already running
        Validate(assignment);
        state.State.Assignment = assignment;
        state.State.Stopped = false;
        state.State.Activations++;
        await state.WriteStateAsync();
        Begin(assignment);
    }

    public async Task Stop()
    {
        Publish();
        _timer?.Dispose();
        _timer = null;
        state.State.Stopped = true;
        state.State.ExecutionsBefore = Total;
        _session = null;
        await state.WriteStateAsync();
        await Deliver();
        if (state.State.Outbox.Count > 0) StartDrain();
        _rate = 0;
        Publish();
    }

    private long Total => _session is null ? state.State.ExecutionsBefore : _sessionBase + _session.Executions;

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

    public Task<MachineStatus> Status() => Task.FromResult(new MachineStatus
    {
        Key = this.GetPrimaryKeyString(),
        Running = _timer is not null,
        Executions = Total,
        Corpus = _session?.CorpusCount ?? 0,
        Features = _session?.Features ?? 0,
        Findings = (int)(state.State.NextSequence - 1),
        Outbox = state.State.Outbox.Count,
        Retries = _retries,
        Silo = RuntimeIdentity,
        InputsImported = _imported,
    });

    public Task Offer(IReadOnlyList<byte[]> inputs)
    {
        if (_session is null || inputs is null) return Task.CompletedTask;
        Span<MachineEvent> events = stackalloc MachineEvent[BinaryDecoder.MaxEvents];
        foreach (var bytes in inputs.Take(options.Value.ExchangeBatch * 2))
        {
            // Decoded against this machine: whatever does not fit it is repaired or dropped by the decoder.
            var n = BinaryDecoder.DecodeInto(bytes, _session.Machine, events);
            _session.Evaluate(events[..n]);
            _imported++;
        }

        return Task.CompletedTask;
    }

    private void Begin(MachineAssignment a)
    {
        var variant = Resolve(a.Variant);
        var seed = a.Seed + (ulong)(state.State.Activations - 1) * 0x9e3779b97f4a7c15UL;
        _sessionBase = state.State.ExecutionsBefore;
        _session = new FuzzSession(new FuzzOptions
        {
            Variant = variant,
            Machine = a.Machine == "swarm" ? null : TraceParser.ParseMachine(a.Machine),
            Swarm = a.Machine == "swarm",
            Env = a.Env == "strict" ? EnvMode.Strict : EnvMode.Adversarial,
            Seed = seed,
        }, this);
        _timer?.Dispose();
        _timer = this.RegisterGrainTimer(Slice, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = options.Value.SlicePeriod,
            Interleave = false,
            KeepAlive = true,
        });
    }

    private async Task Slice(CancellationToken cancellationToken)
    {
        var a = state.State.Assignment;
        if (_session is null || a is null) return;
        try
        {
            await SliceGate.Cores.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return; // the timer was cancelled while this tick waited for a core (deactivation, silo shutdown)
        }

        try
        {
            var clock = Stopwatch.StartNew();
            var budget = options.Value.SliceBudget;
            while (clock.Elapsed < budget && !cancellationToken.IsCancellationRequested)
            {
                if (a.MaxExecutions > 0 && Total >= a.MaxExecutions) break;
                _session.RunSlice(200);
            }
        }
        finally
        {
            SliceGate.Cores.Release();
        }

        if (cancellationToken.IsCancellationRequested) return;

        if (time.GetElapsedTime(_lastSave) > TimeSpan.FromSeconds(5))
        {
            // The execution count survives a crash too (budgets count from it).
            _lastSave = time.GetTimestamp();
            state.State.ExecutionsBefore = Total;
            _dirty = true;
        }

        if (_dirty)
        {
            // Durable before it counts as reported: a crash from here on loses nothing.
            await state.WriteStateAsync(cancellationToken);
            _dirty = false;
            foreach (var r in state.State.Outbox.Where(r => r.Sequence > _journaled)) journal.Reported(r);
            _journaled = state.State.NextSequence - 1;
        }

        await Deliver();
        await Exchange();
        Publish();
        if (Expired(a) || (a.MaxExecutions > 0 && Total >= a.MaxExecutions))
        {
            logger.LogInformation("machine {Key} finished its budget", this.GetPrimaryKeyString());
            await Stop();
        }
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
            _timer is not null);
    }

    private async Task Exchange()
    {
        var a = state.State.Assignment;
        if (a is null || a.Peers.Count == 0 || _exchange.Count == 0) return;
        var now = time.GetTimestamp();
        if (time.GetElapsedTime(_lastExchange, now) < options.Value.ExchangePeriod) return;
        _lastExchange = now;
        var inputs = _exchange.ToList();
        _exchange.Clear();
        foreach (var peer in a.Peers)
        {
            if (peer != this.GetPrimaryKeyString()) await GrainFactory.GetGrain<IMachineGrain>(peer).Offer(inputs);
        }
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
        });
        _dirty = true;
    }

    void IEngineListener.OnCorpusAdded(CorpusEntry entry)
    {
        // (During the session's construction its seeds come through here before _session is set: skip those.)
        if (_session is null || state.State.Assignment is not { Peers.Count: > 1 } || _exchange.Count >= options.Value.ExchangeBatch || entry.Events.Length == 0) return;
        _exchange.Add(BinaryEncoder.Encode(new EventProgram(_session.Machine, [.. entry.Events])));
    }

    private SplitVariant Resolve(string id) =>
        variants.TryGet(id, out var v) ? v : throw new ArgumentException($"unknown variant '{id}'");

    private void Validate(MachineAssignment a)
    {
        Resolve(a.Variant);
        if (a.Env is not ("strict" or "adversarial")) throw new ArgumentException($"env must be strict or adversarial, not '{a.Env}'");
        if (a.Machine != "swarm") TraceParser.ParseMachine(a.Machine);
    }

    private bool Expired(MachineAssignment a) => a.Deadline is { } d && time.GetUtcNow() >= d;
}
