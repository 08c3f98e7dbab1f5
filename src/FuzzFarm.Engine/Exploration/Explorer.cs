using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>What the explorer enumerates, and how far.</summary>
public sealed record ExploreOptions
{
    public required SplitVariant Variant { get; init; }

    public required MachineConfig Machine { get; init; }

    public EnvMode Env { get; init; } = EnvMode.Strict;

    /// <summary>Most events per program.</summary>
    public int Depth { get; init; } = 4;

    /// <summary>Invariants searched for (null: all).</summary>
    public IReadOnlyList<Invariant>? Invariants { get; init; }

    /// <summary>The events a program is built from (null: <see cref="Alphabet.Default"/> for the machine).</summary>
    public Alphabet? Alphabet { get; init; }

    /// <summary>Threads that expand a level (the result does not depend on it).</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Give up (and say so) after this many distinct states.</summary>
    public long MaxStates { get; init; } = 20_000_000;

    /// <summary>
    /// Stops the run inside a level too (each worker checks it between parents): <see cref="Explorer.Run"/> then
    /// ends with <see cref="OperationCanceledException"/>; only the levels it reported were searched.
    /// </summary>
    public CancellationToken Cancel { get; init; }
}

/// <summary>The outcome of an exploration: the first violations, or a bounded proof that there is none.</summary>
/// <param name="Complete">True when every program up to the depth was covered (no state limit hit).</param>
/// <param name="States">Distinct machine states explored (equal states are explored once).</param>
/// <param name="Executions">Programs executed.</param>
/// <param name="DepthReached">Deepest level fully explored (the depth of the violations when there are some).</param>
/// <param name="Violations">Minimal-depth violating programs, one per signature (empty: none up to the depth).</param>
public sealed record ExploreResult(bool Complete, long States, long Executions, int DepthReached, IReadOnlyList<Finding> Violations)
{
    public bool Proved => Complete && Violations.Count == 0;
}

/// <summary>
/// Bounded exhaustive exploration: every program of alphabet events up to a depth, breadth first, with state
/// hashing so that a machine state reached by two programs is expanded once. Reports the violations at the
/// smallest depth where any exists, or "no violation in N states up to depth k" — the proof of absence a
/// fuzzer cannot give, relative to the alphabet (which it names).
/// </summary>
/// <remarks>
/// Stops are enumerated as "after n preemption points" for n = 1, 2, … until the task returns (the run to the
/// end is the same state); a counterexample's stops are then rewritten to the named point where that names the
/// same state. The state hash (<see cref="Kernel.StateHash"/>) covers everything that decides the future,
/// including the environment assumptions so far, so merging states keeps the strict/adversarial distinction.
/// </remarks>
public sealed partial class Explorer
{
    private readonly ExploreOptions _options;
    private readonly ViolationObjective _objective;
    private readonly Machine _machine;
    private readonly Alphabet _alphabet;
    private readonly Worker[] _workers;

    public Explorer(ExploreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Depth is < 0 or > ProgramBuffer.Capacity) throw new ArgumentException($"depth must be 0..{ProgramBuffer.Capacity}", nameof(options));
        _options = options;
        _objective = new ViolationObjective(options.Env, options.Invariants);
        _machine = new Machine(options.Machine, options.Variant);
        _alphabet = options.Alphabet ?? Alphabet.Default(options.Machine);
        if (options.Workers < 1) throw new ArgumentException("workers must be at least 1", nameof(options));
        _workers = new Worker[options.Workers];
        for (var i = 0; i < _workers.Length; i++) _workers[i] = new Worker(options.Machine, options.Variant);
    }

    public Alphabet Alphabet => _alphabet;

    /// <summary>
    /// Runs the exploration. <paramref name="progress"/> is called after each level (depth, states); see
    /// <see cref="ExploreOptions.Cancel"/> for stopping it.
    /// </summary>
    public ExploreResult Run(Action<int, long>? progress = null)
    {
        var cancel = _options.Cancel;
        var visited = new HashSet<ulong>();
        var found = new List<Finding>();
        var root = _workers[0];
        root.Machine.RunPrefixOnly([]);
        visited.Add(root.Machine.Kernel.StateHash());
        root.Machine.FinishRun(0);
        var executions = 1L;
        if (_objective.AnyIn(root.Machine))
        {
            CollectViolations([], found);
            return new ExploreResult(true, visited.Count, executions, 0, found);
        }

        // A level is a flat array of prefixes of equal length (no object per state).
        var frontier = new Level(0);
        frontier.Add([]);
        for (var depth = 1; depth <= _options.Depth; depth++)
        {
            // Expand the level in parallel against the states of earlier levels (read-only here), then merge the
            // children in frontier order: the result does not depend on how the work was split.
            var d = depth;
            var level = frontier;
            Parallel.For(0, _workers.Length, new ParallelOptions { MaxDegreeOfParallelism = _workers.Length }, w =>
                _workers[w].ExpandAll(level, w, _workers.Length, d, _alphabet, _objective, visited, cancel));
            cancel.ThrowIfCancellationRequested();

            var next = new Level(depth);
            var cursors = new int[_workers.Length];
            var buffer = new MachineEvent[depth];
            for (var parent = 0; parent < frontier.Count; parent++)
            {
                var worker = _workers[parent % _workers.Length];
                ref var cursor = ref cursors[parent % _workers.Length];
                executions += 1; // the prefix replay
                while (cursor < worker.Children.Count && worker.Children[cursor].Parent == parent)
                {
                    var child = worker.Children[cursor++];
                    executions += child.Runs;
                    if (child.Skip) continue;
                    frontier.Prefix(parent).CopyTo(buffer);
                    buffer[depth - 1] = child.Event;
                    if (child.Violated) CollectViolations(buffer, found);
                    else if (visited.Add(child.Hash) && found.Count == 0 && depth < _options.Depth) next.Add(buffer);
                }
            }

            if (visited.Count > _options.MaxStates)
                return new ExploreResult(false, visited.Count, executions, depth - 1, found);
            progress?.Invoke(depth, visited.Count);
            if (found.Count > 0) return new ExploreResult(true, visited.Count, executions, depth, found);
            frontier = next;
            if (frontier.Count == 0) break;
        }

        return new ExploreResult(true, visited.Count, executions, _options.Depth, found);
    }

    private void CollectViolations(MachineEvent[] program, List<Finding> found)
    {
        var events = Readable(program);
        _machine.Run(events);
        if (!_objective.TryRoot(_machine, out var root)) return;
        var signature = Signature.Of(_options.Variant.Id, root);
        if (found.Any(f => f.Signature == signature)) return;
        var program2 = new EventProgram(_options.Machine, [.. events], _options.Variant.Id, _options.Env);
        if (!ReplayGate.Confirms(program2, _options.Variant, signature, _objective, out var confirmed, out var callers)) return;
        found.Add(new Finding(signature, program2, confirmed, 0, events.Length) { Callers = callers });
    }

    /// <summary>Rewrites "after n points" stops as "at point P" wherever that reaches the same state.</summary>
    private MachineEvent[] Readable(MachineEvent[] program)
    {
        var events = (MachineEvent[])program.Clone();
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i].Stop.Kind != StopKind.AfterCount) continue;
            var prefix = events.AsSpan(0, i + 1);
            _machine.RunPrefixOnly(prefix);
            var want = _machine.Kernel.StateHash();
            var original = events[i];
            foreach (var p in Points.Preemptible)
            {
                events[i] = original with { Stop = StopSpec.AtPoint(p) };
                _machine.RunPrefixOnly(prefix);
                if (_machine.Kernel.StateHash() == want) break;
                events[i] = original;
            }
        }

        return events;
    }
}

/// <summary>What the alphabet needs to know about a state: phase, CPUs and the tasks in flight.</summary>
/// <param name="Phase">The boot phase reached.</param>
/// <param name="Online">Online CPUs (bit i = CPU i).</param>
/// <param name="MmuOn">CPUs with their MMU on.</param>
/// <param name="Active">Tasks in flight.</param>
/// <param name="HotaddStarted">The machine's arch_add_memory() call has started (no second one; its RAM may be named).</param>
public readonly record struct StateSummary(BootPhase Phase, ulong Online, ulong MmuOn, ReadOnlyMemory<ActiveTask> Active, bool HotaddStarted = false);
