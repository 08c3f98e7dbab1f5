using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>What one (root cause, version) cell says, strongest first.</summary>
public enum VerdictKind
{
    /// <summary>The kept reproducer shows the root cause on this version.</summary>
    Reproduces,

    /// <summary>A bounded search on this version found another program with the same root cause.</summary>
    Found,

    /// <summary>The explorer covered every program up to the depth and none breaks the invariant at all.</summary>
    ProvedAbsent,

    /// <summary>Not found by the reproducer nor by the bounded search: only "not found in N executions".</summary>
    NotFound,

    /// <summary>The reproducer does not show it and the search did not run (a signal stopped the command).</summary>
    NotSearched,
}

/// <summary>
/// One cell of the verdict table. <paramref name="Assumptions"/>: the weakest environment the root cause showed in
/// (for <see cref="VerdictKind.Reproduces"/> and <see cref="VerdictKind.Found"/>); <paramref name="Executions"/>:
/// programs the bounded search ran; <paramref name="Depth"/>: the depth the explorer covered completely
/// (<see cref="VerdictKind.ProvedAbsent"/>, or how far it got); <paramref name="Note"/>: why the explorer stopped when
/// it proved nothing; <paramref name="Trace"/>: the program that showed it (the reproducer, or what a search found).
/// </summary>
public sealed record VerdictCell(string Version, VerdictKind Kind, Assumptions Assumptions, long Executions, int Depth, string Note, string? Trace)
{
    /// <summary>The cell in a few characters (terminal tables): ✘ strict / ✘ adv, "≤k ✓", "0/N".</summary>
    public string Short => Kind switch
    {
        VerdictKind.Reproduces or VerdictKind.Found => Assumptions == Assumptions.None ? "✘ strict" : "✘ adv",
        VerdictKind.ProvedAbsent => $"✓ ≤{Depth}",
        VerdictKind.NotSearched => "?",
        _ => $"– {Count(Executions)}",
    };

    /// <summary>The cell in words.</summary>
    public string Text => Kind switch
    {
        VerdictKind.Reproduces => $"reproduces ({Env})",
        VerdictKind.Found => $"found by a bounded search ({Env})",
        VerdictKind.ProvedAbsent => $"proved absent to depth {Depth} on {(Note.Length > 0 ? Note : "its machine")}",
        VerdictKind.NotSearched => "not searched (interrupted)",
        _ => $"not found in {Executions:N0} execs{(Note.Length > 0 ? $"; {Note}" : "")}",
    };

    private string Env => Assumptions == Assumptions.None ? "strict" : AssumptionNames.Format(Assumptions);

    public bool Shows => Kind is VerdictKind.Reproduces or VerdictKind.Found;

    /// <summary>A count in a few characters: 950, 20k, 3M.</summary>
    public static string Count(long n) => n >= 1_000_000 ? $"{n / 1_000_000}M" : n >= 1_000 ? $"{n / 1_000}k" : $"{n}";
}

/// <summary>One root cause on every version, and what the history says about it.</summary>
public sealed record VerdictRow(string Key, string Title, Invariant Invariant, string Kind, IReadOnlyList<VerdictCell> Cells, IReadOnlyList<string> History)
{
    public VerdictCell? Cell(string version) => Cells.FirstOrDefault(c => c.Version == version);
}

/// <summary>How hard a cell is searched when the reproducer does not show the root cause.</summary>
public sealed record VerdictBudget
{
    /// <summary>Fuzzing executions aimed at the root cause's invariant (0: none).</summary>
    public long Executions { get; init; } = 20_000;

    /// <summary>Explorer depth (0: no exploration).</summary>
    public int Depth { get; init; } = 4;

    /// <summary>The explorer gives up after this many distinct states.</summary>
    public long MaxStates { get; init; } = 200_000;

    public ulong Seed { get; init; }

    public int Workers { get; init; } = 1;

    /// <summary>A signal: cells not searched yet say so ("not searched: interrupted") instead of searching.</summary>
    public CancellationToken Cancel { get; init; }
}

/// <summary>
/// The verdict of each (root cause, version): the reproducer replayed, then, where it does not show the root cause,
/// a bounded fuzzing session aimed at its invariant (seeded with the reproducer) and a bounded exploration. "Fixed
/// in X" is said only along the real history (<see cref="SplitVariant.Parent"/>) and only where X's cell is a search
/// that came back empty. Deterministic: no clock, the budget in executions and states.
/// </summary>
public static class Verdicts
{
    /// <summary>The root cause of a reproducer on its own version (its first violation, any environment), or null.</summary>
    public static Signature? RootCauseOf(EventProgram reproducer, SplitVariant variant)
    {
        ArgumentNullException.ThrowIfNull(reproducer);
        var m = new Machine(reproducer.Machine, variant);
        m.Run(reproducer.Events.AsSpan());
        return new ViolationObjective(EnvMode.Adversarial).TryRoot(m, out var root) ? Signature.Of(variant.Id, root) : null;
    }

    /// <summary>The row of <paramref name="rootCause"/>, reproduced by <paramref name="reproducer"/>, on <paramref name="versions"/>.</summary>
    public static VerdictRow Row(EventProgram reproducer, Signature rootCause, IReadOnlyList<SplitVariant> versions, VerdictBudget budget) =>
        Row([reproducer], rootCause, versions, budget);

    /// <summary>
    /// The row of a root cause with several reproducers (for example on different machines): a version shows it when
    /// one of them does; otherwise every distinct machine among them is searched, and "proved absent" needs all.
    /// </summary>
    public static VerdictRow Row(IReadOnlyList<EventProgram> reproducers, Signature rootCause, IReadOnlyList<SplitVariant> versions, VerdictBudget budget)
    {
        ArgumentNullException.ThrowIfNull(reproducers);
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(budget);
        if (reproducers.Count == 0) throw new ArgumentException("a root cause needs a reproducer", nameof(reproducers));
        return RowOf(rootCause, versions.Select(v => Cell(reproducers, rootCause, v, budget)).ToList(), versions);
    }

    /// <summary>The row of <paramref name="rootCause"/> from cells computed elsewhere (one per version, in order).</summary>
    public static VerdictRow RowOf(Signature rootCause, IReadOnlyList<VerdictCell> cells, IReadOnlyList<SplitVariant> versions)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var kind = rootCause.IsRefusal ? "refusal"
            : cells.Where(c => c.Shows).Select(c => c.Version).ToList() is ["canary"] ? "canary" : "hazard";
        return new VerdictRow(rootCause.Key, rootCause.Title, rootCause.Invariant, kind, cells, History(cells, versions));
    }

    /// <summary>One cell over several reproducers: any that shows it, else the searches on each distinct machine.</summary>
    public static VerdictCell Cell(IReadOnlyList<EventProgram> reproducers, Signature rootCause, SplitVariant version, VerdictBudget budget)
    {
        ArgumentNullException.ThrowIfNull(reproducers);
        ArgumentNullException.ThrowIfNull(budget);
        foreach (var p in reproducers)
        {
            var replay = Cell(p, rootCause, version, budget with { Executions = 0, Depth = 0 });
            if (replay.Shows) return replay;
        }

        var searches = reproducers.DistinctBy(p => p.Machine).Select(p => Cell(p, rootCause, version, budget)).ToList();
        if (searches.FirstOrDefault(c => c.Shows) is { } found) return found;
        if (searches.All(c => c.Kind == VerdictKind.NotSearched)) return searches[0];
        var executions = searches.Sum(c => c.Executions);
        var machines = searches.Count == 1 ? "its machine" : $"its {searches.Count} machines";
        if (searches.All(c => c.Kind == VerdictKind.ProvedAbsent))
            return new VerdictCell(version.Id, VerdictKind.ProvedAbsent, Assumptions.None, executions, budget.Depth, machines, null);
        var notes = string.Join("; ", searches.Select(c => c.Note).Where(n => n.Length > 0).Distinct());
        return new VerdictCell(version.Id, VerdictKind.NotFound, Assumptions.None, executions, searches.Min(c => c.Depth),
            $"on {machines}{(notes.Length > 0 ? "; " + notes : "")}", null);
    }

    /// <summary>One cell: the reproducer, then the bounded fuzz, then the bounded exploration.</summary>
    public static VerdictCell Cell(EventProgram reproducer, Signature rootCause, SplitVariant version, VerdictBudget budget)
    {
        ArgumentNullException.ThrowIfNull(reproducer);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(budget);
        var objective = new ViolationObjective(EnvMode.Adversarial);
        var m = new Machine(reproducer.Machine, version);
        m.Run(reproducer.Events.AsSpan());
        if (objective.TryRoot(m, out var root) && rootCause.Matches(root))
            return new VerdictCell(version.Id, VerdictKind.Reproduces, root.Assumptions, 0, 0, "", TraceWriter.Write(reproducer));

        long executions = 0;
        if (budget.Cancel.IsCancellationRequested && (budget.Executions > 0 || budget.Depth > 0))
            return new VerdictCell(version.Id, VerdictKind.NotSearched, Assumptions.None, 0, 0, "", null);
        if (budget.Executions > 0)
        {
            var session = new FuzzSession(new FuzzOptions
            {
                Variant = version, Machine = reproducer.Machine, Env = EnvMode.Adversarial, Seed = budget.Seed,
                Invariants = [rootCause.Invariant], Seeds = [reproducer.Events.ToArray()],
            });
            while (session.Executions < budget.Executions && !budget.Cancel.IsCancellationRequested)
            {
                session.RunSlice((int)Math.Min(1_000, budget.Executions - session.Executions));
                if (session.Findings.FirstOrDefault(f => f.Signature.Equals(rootCause)) is { } found)
                {
                    return new VerdictCell(version.Id, VerdictKind.Found, found.Violation.Assumptions, session.Executions, 0, "fuzz",
                        TraceWriter.Write(found.Program));
                }
            }

            executions = session.Executions;
        }

        if (budget.Cancel.IsCancellationRequested)
            return new VerdictCell(version.Id, VerdictKind.NotFound, Assumptions.None, executions, 0, "interrupted before the explorer", null);
        if (budget.Depth <= 0) return new VerdictCell(version.Id, VerdictKind.NotFound, Assumptions.None, executions, 0, "", null);
        ExploreResult result;
        try
        {
            result = new Explorer(new ExploreOptions
            {
                Variant = version, Machine = reproducer.Machine, Env = EnvMode.Adversarial, Depth = budget.Depth,
                Invariants = [rootCause.Invariant], MaxStates = budget.MaxStates, Workers = budget.Workers,
            }).Run((_, _) => budget.Cancel.ThrowIfCancellationRequested());
        }
        catch (OperationCanceledException) when (budget.Cancel.IsCancellationRequested)
        {
            return new VerdictCell(version.Id, VerdictKind.NotFound, Assumptions.None, executions, 0, "interrupted in the explorer", null);
        }

        executions += result.Executions;
        if (result.Violations.FirstOrDefault(f => f.Signature.Equals(rootCause)) is { } shown)
        {
            return new VerdictCell(version.Id, VerdictKind.Found, shown.Violation.Assumptions, executions, result.DepthReached, "explore",
                TraceWriter.Write(shown.Program));
        }

        if (result.Proved) return new VerdictCell(version.Id, VerdictKind.ProvedAbsent, Assumptions.None, executions, budget.Depth, "its machine", null);
        var note = !result.Complete
            ? $"explored to depth {result.DepthReached} of {budget.Depth} ({result.States:N0} states, the limit)"
            : $"explore stopped at depth {result.DepthReached}: another {Invariants.Id(rootCause.Invariant)} root cause";
        return new VerdictCell(version.Id, VerdictKind.NotFound, Assumptions.None, executions, result.DepthReached, note, null);
    }

    /// <summary>
    /// What the history says, per version with a parent: "introduced in X" where the parent does not show it and X
    /// does, "fixed in X" where the parent shows it and X's search came back empty, "still in X" otherwise.
    /// </summary>
    public static IReadOnlyList<string> History(IReadOnlyList<VerdictCell> cells, IReadOnlyList<SplitVariant> versions)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(versions);
        var lines = new List<string>();
        foreach (var v in versions)
        {
            var cell = cells.FirstOrDefault(c => c.Version == v.Id);
            if (cell is null) continue;
            var parent = v.Parent is { } p ? cells.FirstOrDefault(c => c.Version == p) : null;
            if (parent is null)
            {
                if (v.Parent is null && cell.Shows && versions.Any(o => o.Parent == v.Id)) lines.Add($"in {v.Id} (first version)");
                continue;
            }

            if (parent.Kind == VerdictKind.NotSearched || cell.Kind == VerdictKind.NotSearched)
            {
                if (parent.Shows || cell.Shows) lines.Add($"{v.Id} against {parent.Version}: unknown (not searched)");
                continue;
            }

            if (!parent.Shows && cell.Shows) lines.Add($"introduced in {v.Id} (not in {parent.Version})");
            else if (parent.Shows && !cell.Shows) lines.Add($"fixed in {v.Id} ({cell.Text})");
            else if (parent.Shows && cell.Shows) lines.Add($"still in {v.Id}");
        }

        return lines;
    }
}
