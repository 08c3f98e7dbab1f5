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

    /// <summary>Live guard reads so far (see GuardCoverage), saved with <see cref="ExecutionsBefore"/>.</summary>
    [Id(6)] public Dictionary<string, long> GuardsBefore { get; set; } = [];
}

/// <summary>
/// One simulated machine × variant × environment (a thin shell over <see cref="FuzzSession"/>): fuzzes in slices of
/// about 25 ms on a grain timer, so calls interleave and no call blocks for long. A finding goes to the grain's
/// outbox and the outbox is written to storage before anything is sent; delivery goes through the silo's report
/// gateway under the Polly pipeline, and what is not acknowledged stays for the next slice. Report numbers make
/// redelivery harmless. Inputs that add coverage are offered to peers of the same variant and environment.
/// </summary>
[EvenPlacement] // spread machines evenly over the silos (the default keeps them next to their campaign; hash placement splits 8 grains 5/3)
public sealed partial class MachineGrain(
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

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.Unregister(this);
        return Task.CompletedTask;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        metrics.Register(this);
        // A grain whose silo died resumes its job when it is activated again (the campaign pings its machines).
        if (state.State.Assignment is { } a && !state.State.Stopped && !Expired(a) && options.Value.Resume)
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
        state.State.GuardsBefore = Guards();
        if (_session is { } ended)
            _lastFragmentation = (ended.Executions, ended.FragmentationTablePages, ended.FragmentationBlockBytesLost, ended.FragmentationLeaves);
        _session = null;
        await state.WriteStateAsync();
        await Deliver();
        if (state.State.Outbox.Count > 0) StartDrain();
        _rate = 0;
        Publish();
    }

    /// <summary>Guard reads of the earlier activations plus this session's.</summary>
    private Dictionary<string, long> Guards()
    {
        if (_session is null) return new Dictionary<string, long>(state.State.GuardsBefore);
        var total = new GuardCoverage();
        total.Add(_guardsBase);
        total.Add(_session.Guards);
        return total.ToDictionary();
    }

    private Dictionary<string, long> _guardsBase = [];

    private long Total => _session is null ? state.State.ExecutionsBefore : _sessionBase + _session.Executions;

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
        Guards = Guards(),
        SessionExecutions = _session?.Executions ?? 0,
        Events = _session?.Events ?? 0,
        SkippedEvents = _session?.SkippedEvents ?? 0,
        TablePages = _session?.FragmentationTablePages ?? _lastFragmentation.Pages,
        BlockBytesLost = _session?.FragmentationBlockBytesLost ?? _lastFragmentation.Bytes,
        Leaves = _session?.FragmentationLeaves ?? _lastFragmentation.Leaves,
        FragmentationExecutions = _session?.Executions ?? _lastFragmentation.Executions,
    });

    // The stopped session's fragmentation sums, so a finished campaign still shows them (this activation only).
    private (long Executions, long Pages, long Bytes, long Leaves) _lastFragmentation;

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
        var variant = Resolve(a);
        var seed = a.Seed + (ulong)(state.State.Activations - 1) * 0x9e3779b97f4a7c15UL;
        _sessionBase = state.State.ExecutionsBefore;
        _guardsBase = new Dictionary<string, long>(state.State.GuardsBefore);
        _session = new FuzzSession(new FuzzOptions
        {
            Variant = variant,
            Machine = a.Machine == "swarm" ? null : TraceParser.ParseMachine(a.Machine),
            Swarm = a.Machine == "swarm",
            Env = a.Env == "strict" ? EnvMode.Strict : EnvMode.Adversarial,
            Seed = seed,
            // Each finding's reproducer replayed on every version (and on the text's, when this grain runs one).
            Versions = a.Text is null ? variants.All : [.. variants.All, variant],
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
            state.State.GuardsBefore = Guards();
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

    void IEngineListener.OnCorpusAdded(CorpusEntry entry)
    {
        // (During the session's construction its seeds come through here before _session is set: skip those.)
        if (_session is null || state.State.Assignment is not { Peers.Count: > 1 } || _exchange.Count >= options.Value.ExchangeBatch || entry.Events.Length == 0) return;
        _exchange.Add(BinaryEncoder.Encode(new EventProgram(_session.Machine, [.. entry.Events])));
    }

    private SplitVariant Resolve(string id) =>
        variants.TryGet(id, out var v) ? v : throw new ArgumentException($"unknown variant '{id}'");

    // A version given as C text is compiled once per activation (closures built once, run per execution).
    private (VersionText Text, SplitVariant Variant)? _compiled;

    private SplitVariant Resolve(MachineAssignment a)
    {
        if (a.Text is not { } text || text.Id != a.Variant) return Resolve(a.Variant);
        if (_compiled is { } c && c.Text == text) return c.Variant;
        var compiled = variants.Compile(text);
        _compiled = (text, compiled);
        return compiled;
    }

    private void Validate(MachineAssignment a)
    {
        Resolve(a);
        if (a.Env is not ("strict" or "adversarial")) throw new ArgumentException($"env must be strict or adversarial, not '{a.Env}'");
        if (a.Machine != "swarm") TraceParser.ParseMachine(a.Machine);
    }

    private bool Expired(MachineAssignment a) => a.Deadline is { } d && time.GetUtcNow() >= d;
}
