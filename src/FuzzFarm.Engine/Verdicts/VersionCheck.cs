using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// What <c>fuzzfarm check</c> and the dashboard's check page run for a version given as text: a discovery fuzz for
/// root causes the rows lack, then the verdict rows with the new version's column searched first. Deterministic but
/// for the cancellation token (a deadline): no clock, the budget in executions and states.
/// </summary>
public static class VersionCheck
{
    /// <summary>
    /// The rows: your version's cells first (replay, fuzz, explore, the whole budget); then the base's, searched to
    /// the whole budget only in the rows your version shows (elsewhere: its reproducers and the fuzz, no explorer),
    /// so the deadline goes to the column the check is about.
    /// </summary>
    public static List<VerdictRow> Rows(List<(List<EventProgram> Programs, Signature Cause)> causes, SplitVariant? baseVersion, SplitVariant version,
        VerdictBudget budget, VerdictBudget? baseBudget = null)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var full = baseBudget ?? budget;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        var mine = new VerdictCell[causes.Count];
        Parallel.For(0, causes.Count, parallel, i => mine[i] = Verdicts.Cell(causes[i].Programs, causes[i].Cause, version, budget));
        if (baseVersion is null) return causes.Select((c, i) => Verdicts.RowOf(c.Cause, [mine[i]], [version])).ToList();
        var theirs = new VerdictCell[causes.Count];
        Parallel.For(0, causes.Count, parallel, i =>
            theirs[i] = Verdicts.Cell(causes[i].Programs, causes[i].Cause, baseVersion, mine[i].Shows ? full : full with { Depth = 0 }));
        return causes.Select((c, i) => Verdicts.RowOf(c.Cause, [theirs[i], mine[i]], [baseVersion, version])).ToList();
    }

    /// <summary>A cell whose answer is final: it shows the root cause, or its search ran to the end of its budget.</summary>
    private static bool Complete(VerdictCell cell) =>
        cell.Shows || cell.Kind == VerdictKind.ProvedAbsent || (cell.Kind == VerdictKind.NotFound && !cell.Note.Contains("interrupted", StringComparison.Ordinal));

    /// <summary>
    /// A bounded fuzz of <paramref name="version"/> on every machine of the corpus (adversarial, all invariants): the
    /// root causes the corpus rows do not have, with the minimized program that shows each. Deterministic (seed 0).
    /// </summary>
    public static List<(EventProgram Program, Signature Cause)> Discover(
        SplitVariant version, List<(List<EventProgram> Programs, Signature Cause)> causes, IReadOnlyList<Invariant>? only, long execs, CancellationToken cancel)
    {
        if (execs <= 0) return [];
        var known = causes.Select(c => c.Cause.Key).ToHashSet(StringComparer.Ordinal);
        var machines = causes.SelectMany(c => c.Programs).GroupBy(p => p.Machine).Select(g => (g.Key, Seeds: g.Select(p => p.Events.ToArray()).ToList())).ToList();
        var found = new List<(EventProgram, Signature)>[machines.Count];
        Parallel.For(0, machines.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            found[i] = [];
            var session = new FuzzSession(new FuzzOptions
            {
                Variant = version, Machine = machines[i].Key, Env = EnvMode.Adversarial, Seeds = machines[i].Seeds, Invariants = only,
            });
            while (session.Executions < execs && !cancel.IsCancellationRequested)
                session.RunSlice((int)Math.Min(1_000, execs - session.Executions));
            foreach (var f in session.Findings) found[i].Add((f.Program, f.Signature));
        });
        var result = new List<(EventProgram, Signature)>();
        foreach (var (program, cause) in found.SelectMany(f => f))
        {
            if (known.Add(cause.Key)) result.Add((program, cause));
        }

        return result;
    }

    /// <summary>What the discovery fuzz's rows say they came from.</summary>
    public const string DiscoveredSource = "found by the discovery fuzz of your version";

    /// <summary>
    /// <see cref="Discover"/>, its root causes added to <paramref name="causes"/> as rows and named in
    /// <paramref name="sources"/>; returns how many it added.
    /// </summary>
    public static int DiscoverInto(SplitVariant version, List<(List<EventProgram> Programs, Signature Cause)> causes,
        Dictionary<string, List<string>> sources, IReadOnlyList<Invariant>? only, long execs, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(causes);
        ArgumentNullException.ThrowIfNull(sources);
        var discovered = Discover(version, causes, only, execs, cancel);
        foreach (var (program, cause) in discovered)
        {
            causes.Add(([program], cause));
            sources[cause.Key] = [DiscoveredSource];
        }

        return discovered.Count;
    }

    /// <summary>
    /// The answer of a check: the hazard rows your version shows and its base does not (<paramref name="strictOnly"/>:
    /// only those shown with the kernel's own callers), split into those the base's search settled (worse) and those it
    /// did not (undecided: cut short by the deadline, or, for a strict gate, shown by the base with assumptions).
    /// </summary>
    public static (List<VerdictRow> Worse, List<VerdictRow> Undecided) Decide(
        IReadOnlyList<VerdictRow> rows, SplitVariant? baseVersion, SplitVariant version, bool strictOnly)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(version);
        var shows = rows.Where(r => r.Kind == "hazard" && r.Cell(version.Id) is { Shows: true } mine
            && (!strictOnly || mine.Assumptions == Assumptions.None)
            && (baseVersion is null || r.Cell(baseVersion.Id) is not { Shows: true } theirs || (strictOnly && theirs.Assumptions != Assumptions.None))).ToList();
        var undecided = shows.Where(r => baseVersion is not null && r.Cell(baseVersion.Id) is { } b && (b.Shows || !Complete(b))).ToList();
        return (shows.Except(undecided).ToList(), undecided);
    }

    /// <summary>
    /// Each trace's root cause (on its own variant, resolved by <paramref name="resolve"/>; a trace that names none: on
    /// each of <paramref name="all"/> that shows one), once per key, with every trace that reproduces it, and the
    /// names of the traces each key came from.
    /// </summary>
    public static List<(List<EventProgram> Programs, Signature Cause)> RootCauses(
        IEnumerable<(string Name, EventProgram Program)> traces, Func<string, SplitVariant> resolve, IReadOnlyList<SplitVariant> all,
        out Dictionary<string, List<string>> sources)
    {
        ArgumentNullException.ThrowIfNull(traces);
        ArgumentNullException.ThrowIfNull(resolve);
        sources = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var causes = new List<(List<EventProgram> Programs, Signature Cause)>();
        foreach (var (name, program) in traces)
        {
            IReadOnlyList<SplitVariant> variants = program.Variant is { } id ? [resolve(id)] : all;
            foreach (var v in variants)
            {
                if (Verdicts.RootCauseOf(program, v) is not { } cause) continue;
                var from = sources.TryGetValue(cause.Key, out var l) ? l : sources[cause.Key] = [];
                if (!from.Contains(name)) from.Add(name);
                if (byKey.TryGetValue(cause.Key, out var i))
                {
                    if (!causes[i].Programs.Contains(program)) causes[i].Programs.Add(program);
                }
                else
                {
                    byKey[cause.Key] = causes.Count;
                    causes.Add(([program], cause));
                }
            }
        }

        return causes;
    }
}
