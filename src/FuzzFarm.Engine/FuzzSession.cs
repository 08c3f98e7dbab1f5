using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>What a fuzzing session runs: one variant on one machine (or a swarm of machines), one environment.</summary>
public sealed record FuzzOptions
{
    public required SplitVariant Variant { get; init; }

    /// <summary>The machine; ignored when <see cref="Swarm"/> is set.</summary>
    public MachineConfig? Machine { get; init; }

    /// <summary>Draw a machine shape from the seed every <see cref="SwarmEpoch"/> executions.</summary>
    public bool Swarm { get; init; }

    public long SwarmEpoch { get; init; } = 20_000;

    public EnvMode Env { get; init; } = EnvMode.Strict;

    public ulong Seed { get; init; }

    /// <summary>Invariants that count as bugs (null: all).</summary>
    public IReadOnlyList<Invariant>? Invariants { get; init; }

    /// <summary>Only violations whose detail contains this text count (see <see cref="ViolationObjective.DetailContains"/>).</summary>
    public string? DetailContains { get; init; }

    /// <summary>Extra seed programs (for example traces a user trusts), run before the generated seeds.</summary>
    public IReadOnlyList<MachineEvent[]> Seeds { get; init; } = [];

    /// <summary>
    /// The versions each finding's reproducer is replayed on, in history order (the verdict row); empty: only
    /// <see cref="Variant"/>.
    /// </summary>
    public IReadOnlyList<SplitVariant> Versions { get; init; } = [];

    /// <summary>
    /// Prefix snapshots kept per machine (0, the default: none): mutants run from the deepest snapshot of their
    /// parent's prefix they share (<see cref="Engine.PrefixSnapshots"/>). Same results either way; off by default
    /// because it measured 3% slower on the bench machine (a third of mutants hit, sparing a tenth of the events:
    /// a run's cost is in the drain and the repaint, not in its prefix).
    /// </summary>
    public int PrefixSnapshots { get; init; }

    /// <summary>Longest program the havoc stage builds (1..64; the benchmark's "16-event programs" use 16).</summary>
    public int MaxEvents { get; init; } = ProgramBuffer.Capacity;
}

/// <summary>
/// A coverage-guided fuzzing session (LibAFL's StdFuzzer): a scheduler picks a corpus entry, the havoc stage
/// stacks 1–4 mutations and repairs the program, the executor runs it with both observers, the feedback keeps
/// what adds coverage and the objective sends violations through minimization, the replay gate and dedup.
/// Reproducible from (seed, variant, machine or swarm, env, format revision); runs in bounded slices so a host
/// (CLI progress, a grain) stays in control. Not thread-safe: one session per thread.
/// </summary>
public sealed class FuzzSession
{
    private readonly FuzzOptions _options;
    private readonly IEngineListener? _listener;
    private readonly EdgeCoverageObserver? _edges;
    private readonly ModelStateObserver _features = new();
    private readonly CoverageFeedback _feedback;
    private readonly ViolationObjective _objective;
    private readonly IScheduler _scheduler = new RecencyScheduler();
    private readonly IMutator[] _mutators = Mutators.All();
    private readonly ProgramBuffer _buffer = new();
    private readonly List<Finding> _findings = [];
    private readonly List<Signature> _known = [];
    private readonly List<long> _knownHits = [];
    private Prng _rng;
    private Prng _swarmRng;
    private MachineExecutor _executor = null!;
    private Minimizer _minimizer = null!;
    private MutationContext _context = null!;
    private InMemoryCorpus _corpus = null!;
    private long _epochEnd;
    private long _prefixHits;
    private long _prefixSkipped;

    public FuzzSession(FuzzOptions options, IEngineListener? listener = null, EdgeCoverageObserver? edges = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Swarm && options.Machine is null) throw new ArgumentException("a machine or a swarm is required", nameof(options));
        if (options.MaxEvents is < 1 or > ProgramBuffer.Capacity)
            throw new ArgumentException($"max events must be 1..{ProgramBuffer.Capacity}, not {options.MaxEvents}", nameof(options));
        _options = options;
        _buffer.Limit = options.MaxEvents;
        _listener = listener;
        _edges = edges;
        _feedback = new CoverageFeedback(_features, edges);
        _objective = new ViolationObjective(options.Env, options.Invariants, options.DetailContains);
        _rng = Prng.Derive(options.Seed, 1);
        _swarmRng = Prng.Derive(options.Seed, 2);
        StartMachine(options.Swarm ? Engine.Swarm.Draw(ref _swarmRng) : options.Machine!);
    }

    public FuzzOptions Options => _options;

    /// <summary>The machine being fuzzed now (changes per epoch in a swarm).</summary>
    public MachineConfig Machine => _executor.Machine.Config;

    public long Executions { get; private set; }

    /// <summary>Entries in the current machine's corpus.</summary>
    public int CorpusCount => _corpus.Count;

    public int Features => _feedback.Features;

    public int Edges => _feedback.Edges;

    public bool EdgesInstrumented => _edges?.Instrumented ?? false;

    /// <summary>Distinct machine shapes fuzzed so far (1 without a swarm).</summary>
    public int Machines { get; private set; }

    /// <summary>Findings, in the order they were confirmed.</summary>
    public IReadOnlyList<Finding> Findings => _findings;

    /// <summary>Violations whose signature was already known.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Minimized findings the replay gate refused.</summary>
    public long ReplayDropped { get; private set; }

    /// <summary>The live guard reads of this session's executions (seeds, mutants, imported inputs; not minimizing).</summary>
    public GuardCoverage Guards { get; } = new();

    /// <summary>Events of the programs counted in <see cref="Executions"/> (mean program length = Events / Executions).</summary>
    public long Events { get; private set; }

    /// <summary>Of <see cref="Events"/>, those the machine skipped as impossible at their point (cheap: no call ran).</summary>
    public long SkippedEvents { get; private set; }

    /// <summary>Executions spent minimizing (not counted in <see cref="Executions"/>).</summary>
    public long MinimizeExecutions { get; private set; }

    /// <summary>Hits of a found signature (the first plus the duplicates it absorbed).</summary>
    public long HitsOf(in Signature signature)
    {
        var i = _known.IndexOf(signature);
        return i < 0 ? 0 : _knownHits[i];
    }

    /// <summary>
    /// The index of a found signature this violation has, or -1. Oracle details are constant strings, so a
    /// reference comparison decides almost always; the hot path hashes no strings.
    /// </summary>
    private int KnownIndex(in Violation v)
    {
        for (var i = 0; i < _known.Count; i++)
        {
            if (_known[i].Matches(v)) return i;
        }

        return -1;
    }

    /// <summary>The current machine's corpus (read it on the session's thread).</summary>
    public ICorpus Corpus => _corpus;

    /// <summary>Runs up to <paramref name="executions"/> executions; returns how many ran.</summary>
    public int RunSlice(int executions)
    {
        var done = 0;
        while (done < executions)
        {
            if (_options.Swarm && Executions >= _epochEnd) StartMachine(Engine.Swarm.Draw(ref _swarmRng));
            var pick = _scheduler.Next(_corpus, ref _rng);
            _buffer.Load(_corpus[pick].Events);
            var stack = _rng.Between(1, 4);
            for (var i = 0; i < stack; i++) _mutators[_rng.Below(_mutators.Length)].Mutate(_buffer, ref _rng, _context);
            _buffer.Repair(Machine, bounded: true);
            Execute(_buffer.Events, _corpus[pick].Events);
            done++;
        }

        return done;
    }

    /// <summary>Runs one given program (seeds, imported inputs) through feedback and objective.</summary>
    public void Evaluate(ReadOnlySpan<MachineEvent> program) => Execute(program, null);

    /// <summary>Mutant runs that started from a prefix snapshot (this machine and the ones before).</summary>
    public long PrefixHits => _prefixHits + (_executor.Prefixes?.Hits ?? 0);

    /// <summary>Events that prefix snapshots spared (not executed again).</summary>
    public long PrefixEventsSkipped => _prefixSkipped + (_executor.Prefixes?.EventsSkipped ?? 0);

    /// <summary>Page-table pages the runs' splits allocated, summed over executions (§9 fragmentation).</summary>
    public long FragmentationTablePages { get; private set; }

    /// <summary>Bytes block-mapped in the boot layout that the runs left page-mapped, summed over executions.</summary>
    public long FragmentationBlockBytesLost { get; private set; }

    /// <summary>Leaves the runs' splits created, summed over executions.</summary>
    public long FragmentationLeaves { get; private set; }

    /// <summary>Bytes the current machine's prefix snapshots hold.</summary>
    public long PrefixBytes => _executor.Prefixes?.BytesHeld ?? 0;

    private void Execute(ReadOnlySpan<MachineEvent> program, MachineEvent[]? parent)
    {
        var exit = _executor.Run(program, parent);
        Executions++;
        Events += program.Length;
        SkippedEvents += _executor.Machine.Kernel.SkippedEvents;
        var frag = _executor.Machine.Kernel.Fragmentation;
        FragmentationTablePages += frag.TablePages;
        FragmentationBlockBytesLost += frag.BlockBytesLost;
        FragmentationLeaves += frag.Leaves;
        if (_feedback.IsInteresting())
        {
            var added = _feedback.Commit();
            var entry = new CorpusEntry(program.ToArray(), Executions, added);
            _scheduler.OnAdded(_corpus, _corpus.Add(entry));
            _listener?.OnCorpusAdded(entry);
        }

        if (exit == ExitKind.Violation) OnViolations(program);
    }

    private void OnViolations(ReadOnlySpan<MachineEvent> program)
    {
        // One root cause per run: its first selected violation (what follows is its consequence).
        if (!_objective.TryRoot(_executor.Machine, out var root)) return;
        var known = KnownIndex(root);
        if (known >= 0)
        {
            Duplicates++;
            _knownHits[known]++;
            return;
        }

        var signature = Signature.Of(_options.Variant.Id, root);
        var original = program.ToArray();
        _listener?.OnMinimizing(signature);
        var minimized = _minimizer.Minimize(original, signature);
        MinimizeExecutions += _minimizer.Tests;
        var candidate = new EventProgram(Machine, [.. minimized], _options.Variant.Id, _options.Env, _options.Seed);
        if (!ReplayGate.Confirms(candidate, _options.Variant, signature, _objective, out var confirmed, out var callers))
        {
            ReplayDropped++;
            _listener?.OnReplayDropped(signature);
            return;
        }

        var matrix = VariantMatrix.Row(Machine, candidate.Events.AsSpan(), signature, _objective, Versions);
        var finding = new Finding(signature, candidate, confirmed, Executions, original.Length) { Callers = callers, Matrix = matrix };
        _known.Add(signature);
        _knownHits.Add(1);
        _findings.Add(finding);
        _listener?.OnFinding(finding);
    }

    /// <summary>The versions a finding's reproducer is replayed on (the session's own when none are given).</summary>
    private IReadOnlyList<SplitVariant> Versions => _options.Versions.Count > 0 ? _options.Versions : [_options.Variant];

    private void StartMachine(MachineConfig machine)
    {
        Machines++;
        if (_executor is not null)
        {
            _prefixHits += _executor.Prefixes?.Hits ?? 0;
            _prefixSkipped += _executor.Prefixes?.EventsSkipped ?? 0;
        }

        _epochEnd = Executions + _options.SwarmEpoch;
        var m = new Machine(machine, _options.Variant);
        m.Kernel.GuardCoverage = Guards;
        var prefixes = _options.PrefixSnapshots > 0 ? new PrefixSnapshots(m, _options.PrefixSnapshots) : null;
        _executor = _edges is null
            ? new MachineExecutor(m, _objective, _features) { Prefixes = prefixes }
            : new MachineExecutor(m, _objective, _features, _edges) { Prefixes = prefixes };
        _minimizer = new Minimizer(new Machine(machine, _options.Variant), _objective);
        _corpus = new InMemoryCorpus();
        _context = new MutationContext(machine, _corpus);
        foreach (var seed in _options.Seeds)
        {
            _buffer.Load(seed);
            _buffer.Repair(machine);
            Execute(_buffer.Events, null);
        }

        foreach (var seed in SeedPrograms.For(machine, ref _rng)) Execute(seed, null);
        if (_corpus.Count == 0) _corpus.Add(new CorpusEntry([], Executions, 0)); // nothing new: still something to mutate
    }
}

/// <summary>The generic starting corpus: boots to a few phases, CPUs brought up, plus decoded random bytes.</summary>
public static class SeedPrograms
{
    public static IEnumerable<MachineEvent[]> For(MachineConfig machine, ref Prng rng)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var seeds = new List<MachineEvent[]>
        {
            Array.Empty<MachineEvent>(),
            new[] { MachineEvent.PhaseTo(BootPhase.SmpInit) },
            new[] { MachineEvent.PhaseTo(BootPhase.Runtime) },
        };
        if (machine.Cpus > 1)
        {
            var up = new List<MachineEvent> { MachineEvent.PhaseTo(BootPhase.SmpInit) };
            for (var c = 1; c < machine.Cpus && c < 32; c++) up.Add(MachineEvent.CpuUp((byte)c, (byte)c));
            up.Add(MachineEvent.PhaseTo(BootPhase.Runtime));
            seeds.Add([.. up]);
        }

        Span<byte> bytes = stackalloc byte[96];
        var decoded = new MachineEvent[BinaryDecoder.MaxEvents];
        for (var i = 0; i < 8; i++)
        {
            for (var j = 0; j < bytes.Length; j++) bytes[j] = rng.NextByte();
            var n = BinaryDecoder.DecodeInto(bytes, machine, decoded);
            seeds.Add(decoded[..n]);
        }

        return seeds;
    }
}

/// <summary>The havoc stage's mutators.</summary>
public static class Mutators
{
    /// <summary>
    /// Every mutator in a fixed order (the order is part of reproducibility); argument and preemption changes are
    /// listed twice, which doubles their share of the draws: they steer the interleavings that matter most.
    /// </summary>
    public static IMutator[] All() =>
    [
        new InsertEvent(), new DeleteEvent(), new DuplicateEvent(), new SwapNeighbours(), new Splice(),
        new ChangeArgument(), new ChangeArgument(), new MovePhase(), new ChangePreemption(), new ChangePreemption(),
        new ByteMutation(),
    ];
}
