using System.Globalization;
using System.Text;
using FuzzFarm.Engine;
using FuzzFarm.Farm;
using FuzzFarm.Model;

namespace FuzzFarm.Host.Web;

/// <summary>
/// A finding as Markdown for a kernel review thread: what broke and where, the variant matrix (introduced in /
/// fixed in), the minimized trace, a compact per-CPU timeline and the command that replays it. Pure: no ASP.NET,
/// no I/O (the dashboard's <c>/findings/KEY.md</c> and the CLI's report command both call it).
/// </summary>
public static class FindingMarkdown
{
    private const int LaneWidth = 46;

    /// <summary>Replays <paramref name="record"/> (matrix and timeline) and renders it.</summary>
    public static string Render(FindingRecord record) => Render(FindingAnalysis.Of(record));

    public static string Render(FindingAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return Render(analysis.Record, analysis.Row, analysis.Replay, analysis.EnvName);
    }

    /// <summary>
    /// Renders a finding from what is known; <paramref name="row"/> and <paramref name="replay"/> may be null (their
    /// sections are then left out). <paramref name="env"/> overrides the record's env in the replay command.
    /// </summary>
    public static string Render(FindingRecord record, MatrixRow? row, VariantReplay? replay, string? env = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        env ??= record.Env.Length > 0 ? record.Env : "adversarial";
        var o = new StringBuilder();
        o.Append("### ").Append(Inline(record.Title)).Append("\n\n");
        Facts(o, record, env);
        if (row is not null) Matrix(o, row);
        o.Append("#### Reproducer (").Append(Count(record.SmallestEvents, "event")).Append(", minimized)\n\n");
        Fence(o, "", record.SmallestTrace);
        if (replay is not null)
        {
            o.Append("#### Timeline on `").Append(replay.Variant.Id).Append("` (").Append(env).Append(")\n\n");
            Fence(o, "", Timeline(replay.Timeline));
        }

        o.Append("#### Replay\n\n");
        var file = FindingFile.Name(record.SignatureKey) + ".trace";
        var variant = record.Variant.Length > 0 ? record.Variant : replay?.Variant.Id ?? "VARIANT";
        Fence(o, "sh",
            $"fuzzfarm replay {Shell(file)} --variant {Shell(variant)} --env {Shell(env)}\n" +
            $"fuzzfarm matrix {Shell(file)} --env {Shell(env)}\n");
        return o.ToString();
    }

    private static void Facts(StringBuilder o, FindingRecord r, string env)
    {
        var kind = Invariants.TryParse(r.Invariant, out var inv) ? (Invariants.Kind(inv) == FindingKind.Bug ? "bug" : "warning") : "";
        var others = r.Variants.Where(v => v != r.Variant).ToList();
        o.Append("- **Signature:** `").Append(r.SignatureKey).Append("`\n");
        o.Append("- **Variant:** `").Append(r.Variant).Append('`');
        if (others.Count > 0) o.Append(" (also reported from: ").Append(string.Join(", ", others.Select(v => $"`{v}`"))).Append(')');
        o.Append('\n');
        o.Append("- **Invariant:** `").Append(r.Invariant).Append('`').Append(kind.Length > 0 ? $" ({kind})" : "").Append('\n');
        o.Append("- **Environment:** ").Append(env).Append("; assumptions: ")
            .Append(r.Assumptions is "" or "none" ? "none" : $"`{r.Assumptions}`").Append('\n');
        if (r.Reproduces.Count > 0) o.Append("- **Reproducer shows it on:** ").Append(string.Join(", ", r.Reproduces.Select(v => $"`{v}`"))).Append('\n');
        o.Append("- **Kernel callers:** ").Append(r.Callers.Count > 0 ? string.Join(", ", r.Callers.Select(c => $"`{c}`")) : "none from the catalog").Append('\n');
        o.Append("- **Where:** `").Append(r.Where).Append("`\n");
        o.Append("- **Detail:** ").Append(Inline(r.Detail)).Append('\n');
        if (r.FirstSeen != default)
        {
            o.Append("- **Found:** ").Append(Time(r.FirstSeen)).Append(", last ").Append(Time(r.LastSeen)).Append("; ")
                .Append(Count(r.Hits, "hit")).Append(" on ").Append(Count(r.Machines.Count, "machine")).Append('\n');
        }

        o.Append('\n');
    }

    private static void Matrix(StringBuilder o, MatrixRow row)
    {
        o.Append("#### Variant matrix (`").Append(Invariants.Id(row.Invariant)).Append("`)\n\n|");
        foreach (var c in row.Cells) o.Append(' ').Append(c.Variant).Append(" |");
        o.Append(" introduced in | fixed in |\n|");
        foreach (var _ in row.Cells) o.Append(":-:|");
        o.Append("---|---|\n|");
        foreach (var c in row.Cells) o.Append(c.Reproduces ? " **yes** |" : " no |");
        o.Append(' ').Append(row.IntroducedIn is { } i ? $"`{i}`" : "-").Append(" | ")
            .Append(row.FixedIn is { } f ? $"`{f}`" : row.IntroducedIn is null ? "-" : "not fixed").Append(" |\n\n");
    }

    /// <summary>
    /// ReplayText's per-CPU timeline, narrower: one column per CPU that appears, boot phases passed by one event on
    /// one line, and of the primitives only the steps (locks, allocations, splits, flushes, bring-up), not the
    /// predicates the code asked on the way (<c>fuzzfarm replay</c> prints those too).
    /// </summary>
    public static string Timeline(IReadOnlyList<TimelineEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var lanes = entries.Select(e => e.Cpu).Distinct().Order().ToList();
        var o = new StringBuilder("  ev  ");
        foreach (var lane in lanes) o.Append($"CPU {lane}".PadRight(LaneWidth));
        TrimLine(o);
        var phasesShown = new HashSet<int>();
        foreach (var e in entries)
        {
            if (e.Kind == TimelineKind.Primitive && !IsStep(e.Point)) continue;
            var text = e.Text;
            if (e.Kind == TimelineKind.Phase)
            {
                // One line for every phase an event passed (the kernel's notes between them follow it).
                if (!phasesShown.Add(e.Event)) continue;
                var phases = entries.Where(p => p.Kind == TimelineKind.Phase && p.Event == e.Event).Select(p => p.Text["phase ".Length..]).ToList();
                text = phases.Count > 2 ? $"phase {phases[0]} … {phases[^1]}" : "phase " + string.Join(", ", phases);
            }

            o.Append(CultureInfo.InvariantCulture, $"{e.Event,4}  ").Append(' ', lanes.IndexOf(e.Cpu) * LaneWidth)
                .Append(text.Length > LaneWidth + 24 ? text[..(LaneWidth + 21)] + "..." : text);
            TrimLine(o);
        }

        return o.ToString();
    }

    private static bool IsStep(Point? point) => point is Point.NumOnlineCpus or Point.Walk or Point.PgtableAlloc or Point.Warn
        or Point.MutexLock or Point.MutexUnlock or Point.CpusReadLock or Point.CpusReadUnlock or Point.CpusWriteLock
        or Point.CpusWriteUnlock or Point.FlushTlb or Point.RsiSetMemoryRange
        || TimelineLayout.IsSplit(point) || TimelineLayout.IsBringUp(point);

    private static void TrimLine(StringBuilder o)
    {
        while (o.Length > 0 && o[^1] == ' ') o.Length--;
        o.Append('\n');
    }

    /// <summary>A fence longer than any backtick run inside, so a trace can never close it early.</summary>
    private static void Fence(StringBuilder o, string info, string text)
    {
        var longest = 0;
        var run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', Math.Max(3, longest + 1));
        o.Append(fence).Append(info).Append('\n').Append(text);
        if (!text.EndsWith('\n')) o.Append('\n');
        o.Append(fence).Append("\n\n");
    }

    /// <summary>
    /// Text on one Markdown line: no line breaks, and the characters that could start markup escaped (not '_':
    /// intraword underscores, as in kernel names, are literal, and the raw text stays readable in a mail).
    /// </summary>
    private static string Inline(string text)
    {
        var o = new StringBuilder(text.Length);
        foreach (var c in text.ReplaceLineEndings(" "))
        {
            if (c is '\\' or '`' or '*' or '[' or ']' or '<') o.Append('\\');
            o.Append(c);
        }

        return o.ToString();
    }

    /// <summary>A shell word: as it is when it is plain, else single-quoted (keys may hold an apostrophe).</summary>
    private static string Shell(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '+' or '=')
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Count(long n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n:N0} {noun}{(n == 1 ? "" : "s")}");
}
