using FuzzFarm.Engine;
using System.Text;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Cli.Replay;

/// <summary>The human-readable replay report: verdict per variant, violations, and a per-CPU timeline.</summary>
internal static class ReplayText
{
    private const int LaneWidth = 58;

    public static void Write(
        TextWriter o, string path, EventProgram program, EnvMode env, IEnumerable<(VariantReplay Replay, long Dropped)> results, bool timeline, int limit = 0)
    {
        o.WriteLine($"trace:   {path}");
        o.WriteLine($"machine: {TraceWriter.FormatMachine(program.Machine)}");
        o.WriteLine($"env:     {EnvName(env)}    events: {program.Events.Length}");
        foreach (var (r, dropped) in results)
        {
            o.WriteLine();
            var letter = r.Variant.Letter.Length > 0 ? $" ({r.Variant.Letter})" : "";
            o.WriteLine($"== {r.Variant.Id}{letter}: {r.Verdict.ToUpperInvariant()}");
            foreach (var group in r.Reported.GroupBy(v => v.Invariant))
            {
                WriteViolation(o, group.First(), program.Events.Length);
                var more = group.Skip(1).Select(v => Points.Name(v.Where)).Distinct().ToList();
                if (more.Count > 0) o.WriteLine($"   {"",-28} also in: {string.Join(", ", more)}");
            }
            var masked = r.Masked.ToList();
            if (masked.Count > 0)
                o.WriteLine($"   ({masked.Count} more need assumptions outside strict: " +
                    string.Join(", ", masked.Select(v => $"{v.Id} [{AssumptionNames.Format(v.Assumptions)}]").Distinct()) + ")");
            o.WriteLine($"   stats: {r.LiveResizes} live resizes, {r.TablePages} table pages, {r.Summary.SkippedEvents} events skipped, " +
                $"assumptions used: {AssumptionNames.Format(r.Summary.AssumptionsUsed)}");
            o.WriteLine($"   fragmentation: {FragmentationJson.Text(r.Fragmentation)}");
            if (r.FragmentationByEvent is not ([] or [{ Event: FragmentationStep.Boot or FragmentationStep.Drain }])) // else the line above says it all
            {
                foreach (var step in r.FragmentationByEvent)
                    o.WriteLine($"     {FragmentationJson.StepName(step) + ":",-10} {FragmentationJson.Text(step.Delta)}");
            }
            if (timeline) WriteTimeline(o, r.Timeline);
            if (timeline && dropped > 0)
                o.WriteLine($"   … {dropped:N0} more timeline entries not shown (kept: the first {limit:N0}; --timeline-limit N)");
        }
    }

    internal static string EnvName(EnvMode env) => env == EnvMode.Strict ? "strict" : "adversarial";

    internal static string EventName(int index, int programLength) =>
        index >= programLength ? "the final drain" : $"event {index}";

    private static void WriteViolation(TextWriter o, in Violation v, int programLength)
    {
        var kind = Invariants.Kind(v.Invariant) == FindingKind.Warning ? "warning" : "bug";
        o.WriteLine($"   {v.Id,-28} {v.Title} [{kind}]");
        o.WriteLine($"   {"",-28} at {EventName(v.EventIndex, programLength)} in {Points.Name(v.Where)}, " +
            $"task t{v.TaskLabel}, CPU {v.Cpu}: {v.Detail}; needs: {AssumptionNames.Format(v.Assumptions)}");
    }

    /// <summary>Columns per CPU up to this many lanes; beyond, one "CPU n:" line per entry (a line per lane is too wide).</summary>
    private const int MaxColumns = 8;

    /// <summary>A cycle of at most this many entries repeated at least <see cref="MinRepeats"/> times is printed once.</summary>
    private const int MaxPeriod = 8;

    private const int MinRepeats = 3;

    private static void WriteTimeline(TextWriter o, IReadOnlyList<TimelineEntry> entries)
    {
        var lanes = entries.Select(e => e.Cpu).Distinct().Order().ToList();
        if (lanes.Count == 0) return;
        o.WriteLine("   timeline:");
        var columns = lanes.Count <= MaxColumns;
        if (columns)
        {
            var header = new StringBuilder("     ev  ");
            foreach (var lane in lanes) header.Append($"CPU {lane}".PadRight(LaneWidth));
            o.WriteLine(header.ToString().TrimEnd());
        }

        for (var i = 0; i < entries.Count;)
        {
            var (period, repeats) = Cycle(entries, i);
            for (var k = 0; k < period; k++) o.WriteLine(Line(entries[i + k], lanes, columns));
            if (repeats > 1)
                o.WriteLine($"   {"",4}  … {(period == 1 ? "this entry repeats" : $"these {period} entries repeat")} {repeats - 1:N0} more time(s)");
            i += period * repeats;
        }
    }

    /// <summary>The shortest cycle starting at <paramref name="start"/> that repeats at least MinRepeats times (else 1, 1).</summary>
    private static (int Period, int Repeats) Cycle(IReadOnlyList<TimelineEntry> e, int start)
    {
        for (var p = 1; p <= MaxPeriod && start + (p * MinRepeats) <= e.Count; p++)
        {
            var n = 1;
            while (start + ((n + 1) * p) <= e.Count && Same(e, start, start + (n * p), p)) n++;
            if (n >= MinRepeats) return (p, n);
        }

        return (1, 1);
    }

    private static bool Same(IReadOnlyList<TimelineEntry> e, int a, int b, int length)
    {
        for (var k = 0; k < length; k++)
        {
            if (e[a + k].Event != e[b + k].Event || e[a + k].Cpu != e[b + k].Cpu || e[a + k].Text != e[b + k].Text) return false;
        }

        return true;
    }

    private static string Line(TimelineEntry e, List<int> lanes, bool columns)
    {
        var text = e.Text.Length >= LaneWidth + 20 ? e.Text[..(LaneWidth + 17)] + "..." : e.Text;
        if (!columns) return $"   {e.Event,4}  CPU {e.Cpu}: {text}";
        return $"   {e.Event,4}  {new string(' ', lanes.IndexOf(e.Cpu) * LaneWidth)}{text}";
    }
}
