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
        TextWriter o, string path, EventProgram program, EnvMode env, IReadOnlyList<VariantReplay> results, bool timeline)
    {
        o.WriteLine($"trace:   {path}");
        o.WriteLine($"machine: {TraceWriter.FormatMachine(program.Machine)}");
        o.WriteLine($"env:     {EnvName(env)}    events: {program.Events.Length}");
        foreach (var r in results)
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
            if (timeline) WriteTimeline(o, r.Timeline);
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

    private static void WriteTimeline(TextWriter o, IReadOnlyList<TimelineEntry> entries)
    {
        var lanes = entries.Select(e => e.Cpu).Distinct().Order().ToList();
        if (lanes.Count == 0) return;
        o.WriteLine("   timeline:");
        var header = new StringBuilder("     ev  ");
        foreach (var lane in lanes) header.Append($"CPU {lane}".PadRight(LaneWidth));
        o.WriteLine(header.ToString().TrimEnd());
        foreach (var e in entries)
        {
            var line = new StringBuilder($"   {e.Event,4}  ");
            var col = lanes.IndexOf(e.Cpu);
            line.Append(new string(' ', col * LaneWidth));
            var text = e.Text.Length >= LaneWidth + 20 ? e.Text[..(LaneWidth + 17)] + "..." : e.Text;
            line.Append(text);
            o.WriteLine(line.ToString());
        }
    }
}
