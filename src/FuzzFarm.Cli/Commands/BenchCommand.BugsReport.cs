using System.Globalization;

namespace FuzzFarm.Cli.Commands;

/// <summary>(g)'s figures (flat keys, <c>bug_&lt;id&gt;_…</c>, for --json) and its table.</summary>
internal static partial class BenchCommand
{
    /// <summary>One tool's column for one bug.</summary>
    internal sealed record ToolColumn(int Found, int Runs, double Median, double Max, double? MedianExecs, double? ExecsPerSec)
    {
        public static ToolColumn? Of(List<BugRun>? runs)
        {
            if (runs is null || runs.Count == 0) return null;
            var found = runs.Where(r => r.Found).ToList();
            var elapsed = runs.Sum(r => r.Elapsed);
            return new ToolColumn(found.Count, runs.Count, BenchCommand.Median(runs.Select(r => r.Seconds).ToList()), runs.Max(r => r.Seconds),
                found.Count == 0 || found.Any(r => r.FoundAt < 0) ? null : BenchCommand.Median(found.Select(r => (double)r.FoundAt).ToList()),
                elapsed > 0 ? runs.Sum(r => r.Executions) / elapsed : null);
        }

        /// <summary>The median counts a run not found as the budget: it is a lower bound when half the runs or more found nothing.</summary>
        public bool Censored => Found * 2 <= Runs;
    }

    /// <summary>AFL++'s median over FuzzFarm's, and how to read it: "=", "&gt;=" (AFL++'s median censored), "&lt;=" (FuzzFarm's), or null (both).</summary>
    internal static (double? Ratio, string? Bound) Ratio(ToolColumn? ff, ToolColumn? afl)
    {
        if (ff is null || afl is null || ff.Found + afl.Found == 0 || ff.Median <= 0) return (null, null);
        var bound = (ff.Censored, afl.Censored) switch
        {
            (false, false) => "=",
            (false, true) => ">=",
            (true, false) => "<=",
            _ => null,
        };
        return bound is null ? (null, null) : (afl.Median / ff.Median, bound);
    }

    internal static void BugFigures(List<BugResult> results, int seeds, double budget, string? aflReason, Figures f)
    {
        f["bugs"] = results.Count;
        f["bugs_seeds"] = seeds;
        f["bugs_budget_s"] = budget;
        f["bugs_skipped"] = string.Join("; ", BenchBugs.Skipped.Select(s => $"{s.Id}: {s.Why}"));
        f["bugs_afl_reason"] = aflReason;
        var ratios = new List<double>();
        var edgeGains = new List<double>();
        foreach (var r in results)
        {
            var k = "bug_" + r.Bug.Id.ToLowerInvariant().Replace('-', '_');
            var (ff, afl) = (ToolColumn.Of(r.FuzzFarm), ToolColumn.Of(r.Afl));
            f[k + "_version"] = r.Bug.Planted ? $"{r.Bug.Base.Id}+{r.Bug.Id}" : r.Bug.Base.Id;
            f[k + "_objective"] = r.Bug.Objective;
            f[k + "_ff_found"] = ff?.Found;
            f[k + "_ff_median_s"] = ff is null ? null : Round(ff.Median);
            f[k + "_ff_max_s"] = ff is null ? null : Round(ff.Max);
            f[k + "_ff_median_execs"] = ff?.MedianExecs;
            f[k + "_afl_found"] = afl?.Found;
            f[k + "_afl_median_s"] = afl is null ? null : Round(afl.Median);
            f[k + "_afl_max_s"] = afl is null ? null : Round(afl.Max);
            var (ratio, bound) = Ratio(ff, afl);
            f[k + "_ratio"] = ratio is { } x ? Math.Round(x, 1) : null;
            f[k + "_ratio_bound"] = bound;
            if (ratio is { } y) ratios.Add(y);
            if (ToolColumn.Of(r.FeaturesOnly) is { } fo)
            {
                f[k + "_ff_features_found"] = fo.Found;
                f[k + "_ff_features_median_s"] = Round(fo.Median);
                f[k + "_ff_features_median_execs"] = fo.MedianExecs;
                if (ff is not null && fo.MedianExecs is { } without && ff.MedianExecs is { } with && with > 0) edgeGains.Add(without / with);
            }
        }

        // What the edges add to the search: the features-only median executions to the bug over the edges-on one, per
        // bug, and their median (above 1: edges find the bug in fewer executions).
        f["ttb_features_over_edges_execs_median"] = edgeGains.Count == 0 ? null : Math.Round(Median(edgeGains), 2);
        f["ttb_features_over_edges_execs_min"] = edgeGains.Count == 0 ? null : Math.Round(edgeGains.Min(), 2);
        f["ttb_features_over_edges_execs_max"] = edgeGains.Count == 0 ? null : Math.Round(edgeGains.Max(), 2);

        f["bugs_runs"] = results.Sum(r => r.FuzzFarm.Count);
        f["bugs_ff_found"] = results.Sum(r => r.FuzzFarm.Count(x => x.Found));
        f["bugs_afl_found"] = results.All(r => r.Afl is null) ? null : results.Sum(r => r.Afl?.Count(x => x.Found) ?? 0);
        f["ttb_median_ratio"] = ratios.Count == 0 ? null : Math.Round(Median(ratios), 1);
        f["ttb_ratio_bugs"] = ratios.Count;

        // Secondary: raw executions per second over every run of each tool (FuzzFarm's include starting a session).
        var ffRate = Rate(results.SelectMany(r => r.FuzzFarm));
        var aflRate = Rate(results.SelectMany(r => r.Afl ?? []));
        f["bugs_ff_execs_per_sec"] = ffRate is { } a ? Math.Round(a) : null;
        f["bugs_afl_execs_per_sec"] = aflRate is { } b ? Math.Round(b) : null;
        f["bugs_execs_per_sec_ratio"] = ffRate is { } c && aflRate is { } d and > 0 ? Math.Round(c / d, 1) : null;
    }

    private static double? Rate(IEnumerable<BugRun> runs)
    {
        var list = runs.ToList();
        var elapsed = list.Sum(r => r.Elapsed);
        return elapsed > 0 ? list.Sum(r => r.Executions) / elapsed : null;
    }

    internal static void WriteBugTable(TextWriter w, List<BugResult> results, Figures f)
    {
        static string S(double x) => x.ToString(x < 0.01 ? "0.0000" : x < 10 ? "0.000" : "0.0", CultureInfo.InvariantCulture);
        static string Col(ToolColumn? c) => c is null ? $"{"-",5} {"-",8} {"-",8}" : $"{c.Found,2}/{c.Runs,-2} {S(c.Median),8} {S(c.Max),8}";
        w.WriteLine();
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"time to bug: {f["bugs_seeds"]} seeds per bug and tool, {f["bugs_budget_s"]} s budget (not found = budget); times in seconds"));
        w.WriteLine($"FuzzFarm: {f["bugs_fuzzfarm_coverage"]}; \"features only\": the same runs without edges (median executions to the bug)");
        w.WriteLine($"{"bug",-15} {"version",-37} {"objective",-50} {"FuzzFarm found median max",-24}  {"execs",7} {"features only",13}  {"AFL++ found median max",-24}  AFL++/FuzzFarm");
        foreach (var r in results)
        {
            var (ff, afl) = (ToolColumn.Of(r.FuzzFarm), ToolColumn.Of(r.Afl));
            var (ratio, bound) = Ratio(ff, afl);
            var version = r.Bug.Planted ? $"{r.Bug.Base.Id}+{r.Bug.Id}" : r.Bug.Base.Id;
            var shown = ratio is { } x ? (bound == "=" ? "" : bound) + x.ToString("0.#", CultureInfo.InvariantCulture) + "x" : "-";
            var fo = ToolColumn.Of(r.FeaturesOnly);
            var execs = ff?.MedianExecs is { } e ? e.ToString("0", CultureInfo.InvariantCulture) : "-";
            var featureExecs = fo?.MedianExecs is { } g ? g.ToString("0", CultureInfo.InvariantCulture) : "-";
            w.WriteLine($"{r.Bug.Id,-15} {version,-37} {Trim(r.Bug.Objective, 50),-50} {Col(ff),-24}  {execs,7} {featureExecs,13}  {Col(afl),-24}  {shown}");
        }

        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median of the ratios (AFL++ median / FuzzFarm median): {(f["ttb_median_ratio"] is double m ? $"{m:0.#}x over {f["ttb_ratio_bugs"]} bugs" : "n/a")}; " +
            $"found: FuzzFarm {f["bugs_ff_found"]}/{f["bugs_runs"]}, AFL++ {f["bugs_afl_found"]?.ToString() ?? "-"}/{(f["bugs_afl_found"] is null ? "-" : f["bugs_runs"])}"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"raw execs/s over these runs: FuzzFarm {f["bugs_ff_execs_per_sec"] ?? "-"}, AFL++ {f["bugs_afl_execs_per_sec"] ?? "-"} (ratio {f["bugs_execs_per_sec_ratio"] ?? "-"})"));
        if (f.Values.GetValueOrDefault("ttb_features_over_edges_execs_median") is double gain)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"features-only / edges-on median executions to the bug: median {gain:0.##} (min {f["ttb_features_over_edges_execs_min"]}, max {f["ttb_features_over_edges_execs_max"]})"));
        if (f["bugs_afl_reason"] is string reason) w.WriteLine($"AFL++ column empty: {reason}");
        foreach (var (id, why) in BenchBugs.Skipped) w.WriteLine($"not benchmarked: {id}, {why}");
    }

    private static string Trim(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";
}
