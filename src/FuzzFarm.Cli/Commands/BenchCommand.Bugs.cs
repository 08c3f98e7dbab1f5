using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Cli.Instrumentation;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// (g) <c>bench --bugs</c>: time to bug, FuzzFarm against AFL++, on the zoo's root causes that fuzzing reaches and
/// the planted bugs (<see cref="BenchBugs"/>). Per bug and seed, each tool fuzzes the bug's version on its machine
/// and env until its objective selects a violation or the budget runs out (not found counts as the budget). Per bug
/// and tool: found runs, median and max time; the headline is AFL++'s median over FuzzFarm's, and the median of those
/// ratios over the bugs. Then (h), the timed mutation score (<see cref="RunTimedMutants"/>).
/// </summary>
internal static partial class BenchCommand
{
    internal sealed class BugOptions
    {
        public Option<bool> Bugs { get; } = new("--bugs") { Description = "Only (g) time to bug, FuzzFarm vs AFL++, on the zoo's fuzzable root causes and planted bugs, then (h) the timed mutation score" };

        public Option<int> Seeds { get; } = new("--bug-seeds") { Description = "(g) seeds per bug and tool (at least 10)", DefaultValueFactory = _ => 10 };

        public Option<double> Budget { get; } = new("--bug-budget") { Description = "(g) seconds per bug, seed and tool; a bug not found within it counts as the budget", DefaultValueFactory = _ => 20 };

        public Option<string?> Ids { get; } = new("--bug-ids") { Description = "(g) only these bugs, comma-separated (Z1, drop-guard, ...; default: all)" };

        public Option<bool> Smoke { get; } = new("--bug-smoke") { Description = "(tests) allow fewer than 10 seeds", Hidden = true };

        public Option<int> MutantSeconds { get; } = new("--mutant-seconds") { Description = "(h) seconds per mutant and tool on one machine (0: skip (h))", DefaultValueFactory = _ => 10 };

        public Option<int> MutantSample { get; } = new("--mutant-sample") { Description = "(h) mutants per version, evenly spaced over its mutants (0, the default: all)" };

        public IEnumerable<Option> All => [Bugs, Seeds, Budget, Ids, Smoke, MutantSeconds, MutantSample];
    }

    /// <summary>One seed of one tool on one bug: time to the bug (the budget when not found), executions, wall time spent.</summary>
    internal sealed record BugRun(double Seconds, bool Found, long Executions, double Elapsed, long FoundAt);

    /// <summary>
    /// One bug's runs: FuzzFarm's (with SharpFuzz edges when the instrumented half ran, else model-state features only),
    /// FuzzFarm's with model-state features only when the first column had edges (the evidence for the edges), AFL++'s.
    /// </summary>
    internal sealed record BugResult(BenchBug Bug, List<BugRun> FuzzFarm, List<BugRun>? Afl, List<BugRun>? FeaturesOnly = null);

    /// <summary>
    /// <c>bench --bugs</c>: (g) and its table, then (h) on the versions of --mutants (default realm-v2). AFL++'s columns
    /// are empty with --no-afl or when afl-fuzz or afl.sh is missing (the figures say why).
    /// </summary>
    internal static int RunBugsCommand(ParseResult parse, BugOptions o, Option<string?> mutants, Option<bool> noAfl, Option<string?> partial, JsonOut json,
        TextWriter stdout, TextWriter text, TextWriter stderr, CancellationToken stop)
    {
        var (seeds, budget, bugs) = ParseBugOptions(parse, o);
        var versions = (parse.GetValue(mutants) ?? "realm-v2").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(id => VariantCatalog.TryGet(id, out var v) ? v
                : throw new UsageException($"--mutants: unknown version '{id}' (known: {string.Join(", ", VariantCatalog.Ids)})")).ToList();
        if (parse.GetValue(partial) is { } partialPath)
        {
            // The instrumented half: FuzzFarm's runs with SharpFuzz edges, to a file for the other half.
            using var edges = InstrumentedContext.Active ? EdgeCoverageObserver.TryAcquire(Instrumenter.MapSize) : null;
            var edgeRuns = new List<List<BugRun>>();
            text.WriteLine($"(g) FuzzFarm with SharpFuzz edges ({Instrumenter.PolicyName}) + model-state features");
            foreach (var bug in bugs) edgeRuns.Add(FuzzFarmRuns(bug, bug.Version(), seeds, budget, text, stop, edges));

            File.WriteAllText(partialPath, System.Text.Json.JsonSerializer.Serialize(new EdgeHalf(edges is not null, Instrumenter.PolicyName, edgeRuns)));
            return ExitCodes.Clean;
        }

        var tmp = Path.Combine(Path.GetTempPath(), $"fuzzfarm-bench-bugs-{Environment.ProcessId}.json");
        EdgeHalf? half = null;
        var code = InstrumentedContext.TryRun([.. parse.Tokens.Select(t => t.Value), "--partial", tmp], text, stderr, out var noEdges);
        if (code is not null && File.Exists(tmp))
        {
            half = System.Text.Json.JsonSerializer.Deserialize<EdgeHalf>(File.ReadAllText(tmp));
            File.Delete(tmp);
        }

        if (half is not { Edges: true } || half.Runs.Count != bugs.Count)
        {
            stderr.WriteLine($"fuzzfarm: {noEdges ?? "the instrumented half gave no edges"}; FuzzFarm's column is model-state features only");
            half = null;
        }

        string? why = "--no-afl";
        var afl = parse.GetValue(noAfl) ? null : AflRunner.Locate(out why);
        var f = new Figures();
        var results = RunBugs(bugs, seeds, budget, afl, text, stop);
        if (half is not null)
            results = [.. results.Select((r, i) => r with { FuzzFarm = half.Runs[i], FeaturesOnly = r.FuzzFarm })];
        BugFigures(results, seeds, budget, why, f);
        f["bugs_fuzzfarm_coverage"] = half is null ? "model-state features" : $"SharpFuzz edges ({half.Policy}) + model-state features";
        if (parse.GetValue(o.MutantSeconds) is var seconds and > 0 && !stop.IsCancellationRequested)
            RunTimedMutants(versions, seconds, parse.GetValue(o.MutantSample), afl, f, text, stop);
        if (stop.IsCancellationRequested) f["interrupted"] = true;
        if (!json.ToStdout(parse))
        {
            WriteBugTable(stdout, results, f);
            foreach (var (k, v) in f.Values.Where(kv => kv.Key.StartsWith("mutation_score_timed_", StringComparison.Ordinal)))
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k}: {v ?? "-"}"));
        }

        json.Emit(parse, stdout, Json(f));
        return ExitCodes.Clean;
    }

    /// <summary>Validates the (g) options; the message names the option.</summary>
    internal static (int Seeds, double Budget, IReadOnlyList<BenchBug> Bugs) ParseBugOptions(ParseResult parse, BugOptions o)
    {
        var seeds = parse.GetValue(o.Seeds);
        if (seeds is < 1 or > 1000) throw new UsageException("--bug-seeds must be 10..1000");
        if (seeds < 10 && !parse.GetValue(o.Smoke)) throw new UsageException($"--bug-seeds must be at least 10 (a median over {seeds} seeds is not the benchmark's)");
        var budget = parse.GetValue(o.Budget);
        if (!double.IsFinite(budget) || budget is <= 0 or > 3600) throw new UsageException("--bug-budget must be in (0, 3600] seconds");
        if (parse.GetValue(o.MutantSeconds) is < 0 or > 3600) throw new UsageException("--mutant-seconds must be 0..3600");
        if (parse.GetValue(o.MutantSample) is < 0 or > 10_000) throw new UsageException("--mutant-sample must be 0..10000 (0: every mutant)");
        var all = BenchBugs.All();
        if (parse.GetValue(o.Ids) is not { } ids) return (seeds, budget, all);
        var chosen = new List<BenchBug>();
        foreach (var id in ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (BenchBugs.Skipped.FirstOrDefault(s => s.Id == id) is { Id: not null } skipped) throw new UsageException($"--bug-ids: {id} is not benchmarked ({skipped.Why})");
            chosen.Add(all.FirstOrDefault(b => b.Id == id) ?? throw new UsageException($"--bug-ids: unknown bug '{id}' (known: {string.Join(", ", all.Select(b => b.Id))})"));
        }

        return chosen.Count > 0 ? (seeds, budget, chosen) : throw new UsageException("--bug-ids names no bug");
    }

    /// <summary>(g): every bug, FuzzFarm's seeds, then AFL++'s (when <paramref name="afl"/> is set); stops early on a signal.</summary>
    internal static List<BugResult> RunBugs(IReadOnlyList<BenchBug> bugs, int seeds, double budget, AflRunner? afl, TextWriter log, CancellationToken stop)
    {
        log.WriteLine($"(g) time to bug: {bugs.Count} bugs x {seeds} seeds, {budget:0.#} s budget per run; FuzzFarm: one core, model-state features " +
            "(as the farm runs it); AFL++: afl.sh --until-crash (its time from afl-fuzz's start, calibration included)");
        foreach (var (id, why) in BenchBugs.Skipped) log.WriteLine($"    skipped {id}: {why}");
        var results = new List<BugResult>();
        foreach (var bug in bugs)
        {
            if (stop.IsCancellationRequested) break;
            var version = bug.Version();
            if (BenchBugs.Check(bug, version) is { } wrong) throw new InvalidOperationException(wrong);
            results.Add(new BugResult(bug, FuzzFarmRuns(bug, version, seeds, budget, log, stop), null));
        }

        if (afl is null) return results;
        for (var i = 0; i < results.Count && !stop.IsCancellationRequested; i++)
        {
            var bug = results[i].Bug;
            var runs = new List<BugRun>();
            for (var seed = 1; seed <= seeds && !stop.IsCancellationRequested; seed++) runs.Add(AflRun(afl, bug, seed, budget, log));
            log.WriteLine($"    {bug.Id,-15} AFL++    {Describe(runs, budget)}");
            results[i] = results[i] with { Afl = runs };
        }

        return results;
    }

    /// <summary>What the instrumented half of <c>bench --bugs</c> hands back: FuzzFarm's runs with edges, per bug.</summary>
    internal sealed record EdgeHalf(bool Edges, string Policy, List<List<BugRun>> Runs);

    /// <summary>FuzzFarm's seeds 1..<paramref name="seeds"/> on one bug (with edges when <paramref name="edges"/> is set), logged in one line.</summary>
    private static List<BugRun> FuzzFarmRuns(BenchBug bug, SplitVariant version, int seeds, double budget, TextWriter log, CancellationToken stop, EdgeCoverageObserver? edges = null)
    {
        var runs = new List<BugRun>();
        for (var seed = 1; seed <= seeds && !stop.IsCancellationRequested; seed++) runs.Add(FuzzFarmRun(bug, version, seed, budget, stop, edges));
        log.WriteLine($"    {bug.Id,-15} FuzzFarm {Describe(runs, budget)}");
        return runs;
    }

    private static BugRun FuzzFarmRun(BenchBug bug, SplitVariant version, int seed, double budget, CancellationToken stop, EdgeCoverageObserver? edges)
    {
        var clock = Stopwatch.StartNew();
        var session = new FuzzSession(new FuzzOptions
        {
            Variant = version, Machine = bug.Machine, Env = bug.Env, Seed = (ulong)seed, Invariants = bug.Invariants, DetailContains = bug.Detail,
        }, null, edges);
        while (session.Findings.Count == 0 && clock.Elapsed.TotalSeconds < budget && !stop.IsCancellationRequested) session.RunSlice(50);
        var elapsed = clock.Elapsed.TotalSeconds;
        var found = session.Findings.Count > 0 && elapsed <= budget;
        return new BugRun(found ? elapsed : budget, found, session.Executions + session.MinimizeExecutions, elapsed, found ? session.Findings[0].FoundAtExecution : -1);
    }

    private static BugRun AflRun(AflRunner afl, BenchBug bug, int seed, double budget, TextWriter log)
    {
        List<string> args =
        [
            "--variant", bug.Base.Id, "--machine", TraceWriter.FormatMachine(bug.Machine), "--env", BenchBug.EnvName(bug.Env),
            "--invariant", string.Join(",", bug.Invariants.Select(Invariants.Id)), "--until-crash",
            "--afl-seed", seed.ToString(CultureInfo.InvariantCulture), "--seconds", ((int)Math.Ceiling(budget)).ToString(CultureInfo.InvariantCulture),
        ];
        if (bug.Detail is not null) args.AddRange(["--detail", bug.Detail]);
        if (bug.Patch is not null) args.AddRange(["--version-file", afl.WriteInput($"planted-{bug.Id}.patch", bug.Patch)]);
        var outcome = afl.RunOnce([.. args], log);
        if (outcome is null) return new BugRun(budget, false, 0, 0, -1);
        var found = outcome.Seconds is { } t && t <= budget;
        var elapsed = double.IsFinite(outcome.ExecsPerSec) && outcome.ExecsPerSec > 0 ? outcome.Executions / outcome.ExecsPerSec : 0;
        return new BugRun(found ? outcome.Seconds!.Value : budget, found, outcome.Executions, elapsed, -1);
    }

    private static string Describe(List<BugRun> runs, double budget) => string.Create(CultureInfo.InvariantCulture,
        $"found {runs.Count(r => r.Found)}/{runs.Count}, median {Median(runs.Select(r => r.Seconds).ToList()):0.###} s, max {(runs.Count == 0 ? budget : runs.Max(r => r.Seconds)):0.###} s");
}
