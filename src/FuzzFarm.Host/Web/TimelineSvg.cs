using System.Globalization;
using System.Net;
using System.Text;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Host.Web;

/// <summary>
/// The per-CPU timeline of a replay as inline SVG: one lane per CPU, one column per trace event plus the final
/// drain, boot phases as bands along the top, each secondary's MMU-on → online window as a bar on its lane, splits
/// and violations as markers (each with a <c>&lt;title&gt;</c> tooltip), and a legend. Pure: the same replay gives
/// the same text. Presentation attributes are inline so the picture also stands alone outside the page.
/// </summary>
public static partial class TimelineSvg
{
    private const string Font = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\"";

    /// <summary>
    /// Renders <paramref name="replay"/> (a replay of <paramref name="program"/>). Violations for which
    /// <paramref name="isFinding"/> holds are drawn larger: the one the page is about among the others.
    /// </summary>
    public static string Render(EventProgram program, VariantReplay replay, Predicate<Violation>? isFinding = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(replay);
        var entries = replay.Timeline;
        var layout = new TimelineLayout(entries, program.Machine.Cpus, program.Events.Length);
        var o = new StringBuilder();
        o.Append(CultureInfo.InvariantCulture,
            $"<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(layout.Width)}\" height=\"{N(layout.Height)}\" ")
            .Append(CultureInfo.InvariantCulture, $"viewBox=\"0 0 {N(layout.Width)} {N(layout.Height)}\" role=\"img\" {Font} font-size=\"11\">\n")
            .Append(CultureInfo.InvariantCulture,
                $"<title>Per-CPU timeline: {E(replay.Variant.Id)}, {(replay.Env == EnvMode.Strict ? "strict" : "adversarial")}, {program.Events.Length} events</title>\n");
        Columns(o, layout, entries);
        Phases(o, layout, entries);
        Lanes(o, layout, program.Machine);
        MmuWindows(o, layout, entries);
        Markers(o, layout, entries, replay, isFinding);
        Legend(o, layout);
        o.Append("</svg>\n");
        return o.ToString();
    }

    /// <summary>Alternating column backgrounds, each titled with its trace line(s), and the event axis.</summary>
    private static void Columns(StringBuilder o, TimelineLayout layout, IReadOnlyList<TimelineEntry> entries)
    {
        var lines = new string[layout.Columns];
        for (var c = 0; c < layout.Columns; c++) lines[c] = c == layout.Events ? "end of program: in-flight calls run to completion" : "";
        foreach (var e in entries.Where(e => e.Kind == TimelineKind.Event && e.Event < layout.Events))
            lines[e.Event] = e.Text.StartsWith("> ", StringComparison.Ordinal) ? e.Text[2..] : e.Text;
        var top = TimelineLayout.LanesTop;
        var bottom = layout.LaneBottom(layout.Cpus - 1);
        o.Append("<g class=\"columns\">\n");
        for (var c = 0; c < layout.Columns; c++)
        {
            var x = layout.ColumnLeft(c);
            var w = layout.ColumnRight(c) - x;
            var fill = c == layout.Events ? "#eef2f7" : c % 2 == 0 ? "#ffffff" : "#f6f8fa";
            var label = c == layout.Events ? "drain" : c.ToString(CultureInfo.InvariantCulture);
            var name = c == layout.Events ? "the final drain" : $"event {c}";
            o.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"column\" data-event=\"{c}\" x=\"{N(x)}\" y=\"{N(top)}\" width=\"{N(w)}\" height=\"{N(bottom - top)}\" fill=\"{fill}\">")
                .Append(CultureInfo.InvariantCulture, $"<title>{E(name)}: {E(lines[c])}</title></rect>\n")
                .Append(CultureInfo.InvariantCulture,
                    $"<text class=\"axis\" x=\"{N(x + w / 2)}\" y=\"{N(bottom + 16)}\" text-anchor=\"middle\" fill=\"#57606a\">{E(label)}</text>\n");
        }

        o.Append(CultureInfo.InvariantCulture,
            $"<text x=\"8\" y=\"{N(bottom + 16)}\" fill=\"#57606a\">event</text>\n</g>\n");
    }

    /// <summary>
    /// One band per event that advanced the boot, to the next such event: labelled with the phase reached, titled
    /// with every phase passed on the way (one <c>phase</c> event may pass several).
    /// </summary>
    private static void Phases(StringBuilder o, TimelineLayout layout, IReadOnlyList<TimelineEntry> entries)
    {
        var steps = entries.Where(e => e.Kind == TimelineKind.Phase && e.Phase is not null)
            .GroupBy(e => e.Event)
            .Select(g => (Event: g.Key, Phases: g.Select(e => TraceNames.Phase(e.Phase!.Value)).ToList()))
            .OrderBy(s => s.Event).ToList();
        if (steps.Count == 0 || steps[0].Event > 0) steps.Insert(0, (0, [TraceNames.Phase(BootPhase.EarlyParam)]));
        o.Append("<g class=\"phases\">\n");
        for (var i = 0; i < steps.Count; i++)
        {
            var x = layout.ColumnLeft(steps[i].Event);
            var end = i + 1 < steps.Count ? layout.ColumnLeft(steps[i + 1].Event) : layout.Right;
            var w = end - x;
            var phase = steps[i].Phases[^1];
            var fill = i % 2 == 0 ? "#ddf4ff" : "#e8e4ff";
            o.Append(CultureInfo.InvariantCulture,
                    $"<g class=\"phase\" data-phase=\"{E(phase)}\" data-event=\"{steps[i].Event}\"><title>{E(PhaseTitle(steps[i].Event, steps[i].Phases))}</title>")
                .Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{N(x + 1)}\" y=\"{N(TimelineLayout.PhaseBandTop)}\" width=\"{N(Math.Max(1, w - 2))}\" height=\"{N(TimelineLayout.PhaseBandHeight)}\" rx=\"4\" fill=\"{fill}\"/>")
                .Append(CultureInfo.InvariantCulture,
                    $"<text x=\"{N(x + 6)}\" y=\"{N(TimelineLayout.PhaseBandTop + 15)}\" fill=\"#24292f\">{E(Fit(phase, w - 10))}</text></g>\n");
        }

        o.Append("</g>\n");
    }

    private static string PhaseTitle(int eventIndex, List<string> phases) =>
        phases.Count == 1 && phases[0] == TraceNames.Phase(BootPhase.EarlyParam) && eventIndex == 0
            ? "boot phase early-param (the machine's initial state)"
            : $"event {eventIndex}: the boot reached {string.Join(" → ", phases)}";

    /// <summary>
    /// One lane per CPU, labelled with what matters for a live split: whether the CPU has BBML2_NOABORT (as the
    /// kernel detects it, and, where they differ, as the hardware behaves).
    /// </summary>
    private static void Lanes(StringBuilder o, TimelineLayout layout, MachineConfig machine)
    {
        o.Append("<g class=\"lanes\">\n");
        for (var cpu = 0; cpu < layout.Cpus; cpu++)
        {
            var y = layout.LaneCenter(cpu);
            o.Append(CultureInfo.InvariantCulture, $"<g class=\"lane\" data-cpu=\"{cpu}\">")
                .Append(CultureInfo.InvariantCulture,
                    $"<line x1=\"{N(TimelineLayout.LabelWidth)}\" y1=\"{N(y)}\" x2=\"{N(layout.Right)}\" y2=\"{N(y)}\" stroke=\"#8c959f\" stroke-width=\"1\"/>")
                .Append(CultureInfo.InvariantCulture,
                    $"<line x1=\"0\" y1=\"{N(layout.LaneBottom(cpu))}\" x2=\"{N(layout.Right)}\" y2=\"{N(layout.LaneBottom(cpu))}\" stroke=\"#d0d7de\" stroke-width=\"1\"/>")
                .Append(CultureInfo.InvariantCulture,
                    $"<text class=\"lane-label\" x=\"8\" y=\"{N(y - 2)}\" font-weight=\"600\" fill=\"#24292f\">CPU {cpu}</text>")
                .Append(CultureInfo.InvariantCulture,
                    $"<text class=\"lane-caps\" x=\"8\" y=\"{N(y + 11)}\" font-size=\"9.5\" fill=\"{(Lacks(machine, cpu) ? "#cf222e" : "#57606a")}\">{E(Caps(machine, cpu))}</text></g>\n");
        }

        o.Append("</g>\n");
    }

    private static bool Lacks(MachineConfig machine, int cpu) =>
        cpu < machine.CpuSpecs.Length && !(machine.CpuSpecs[cpu].Bbml2Detected && machine.CpuSpecs[cpu].Bbml2Hardware);

    /// <summary>"BBML2_NOABORT", "no BBML2_NOABORT", or where detection and hardware differ, both.</summary>
    private static string Caps(MachineConfig machine, int cpu)
    {
        if (cpu >= machine.CpuSpecs.Length) return "";
        var c = machine.CpuSpecs[cpu];
        return (c.Bbml2Detected, c.Bbml2Hardware) switch
        {
            (true, true) => "BBML2_NOABORT",
            (false, false) => "no BBML2_NOABORT",
            (true, false) => "admitted; hw aborts",
            (false, true) => "not admitted; hw ok",
        };
    }

    /// <summary>Cuts a label to what fits in <paramref name="width"/> pixels (about 6.3 per character at 11 px).</summary>
    private static string Fit(string text, double width)
    {
        var chars = (int)(width / 6.3);
        return text.Length <= chars ? text : chars <= 1 ? "" : text[..(chars - 1)] + "…";
    }

    private static string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
