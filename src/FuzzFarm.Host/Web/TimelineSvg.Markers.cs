using System.Globalization;
using System.Text;
using FuzzFarm.Engine;
using FuzzFarm.Model;

namespace FuzzFarm.Host.Web;

public static partial class TimelineSvg
{
    private const string MmuFill = "#f5b82e";
    private const string SplitFill = "#0969da";
    private const string ViolationFill = "#cf222e";
    private const string EventFill = "#6e7781";

    /// <summary>
    /// Each secondary's window from <c>secondary_mmu_on</c> (its MMU translates through the live linear map) to
    /// <c>set_cpu_online</c>, <c>cpu_die_early</c>, or the end of the picture when it never got there: the window in
    /// which a live split without BBML2_NOABORT on that CPU is a TLB conflict.
    /// </summary>
    private static void MmuWindows(StringBuilder o, TimelineLayout layout, IReadOnlyList<TimelineEntry> entries)
    {
        var open = new Dictionary<int, (double X, int Event)>();
        o.Append("<g class=\"mmu-windows\">\n");
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Kind != TimelineKind.Primitive) continue;
            if (e.Point == Point.SecondaryMmuOn) open[e.Cpu] = (layout.X(i), e.Event);
            else if (e.Point is Point.SetCpuOnline or Point.CpuDieEarly && open.Remove(e.Cpu, out var start))
                Window(o, layout, e.Cpu, start, layout.X(i), e.Point == Point.SetCpuOnline ? $"online at {Where(layout, e.Event)}" : $"died early at {Where(layout, e.Event)}");
        }

        foreach (var (cpu, start) in open.OrderBy(kv => kv.Key))
            Window(o, layout, cpu, start, layout.Right - 4, "never came online");
        o.Append("</g>\n");
    }

    private static void Window(StringBuilder o, TimelineLayout layout, int cpu, (double X, int Event) start, double end, string outcome)
    {
        var y = layout.LaneCenter(cpu) - 8;
        o.Append(CultureInfo.InvariantCulture,
                $"<rect class=\"mmu-window\" data-cpu=\"{cpu}\" x=\"{N(start.X)}\" y=\"{N(y)}\" width=\"{N(Math.Max(2, end - start.X))}\" height=\"16\" rx=\"8\" ")
            .Append(CultureInfo.InvariantCulture, $"fill=\"{MmuFill}\" fill-opacity=\"0.45\" stroke=\"#bf8700\" stroke-width=\"1\">")
            .Append(CultureInfo.InvariantCulture,
                $"<title>CPU {cpu}: MMU on at {E(Where(layout, start.Event))}, {E(outcome)}: a live split now needs BBML2_NOABORT on this CPU</title></rect>\n");
    }

    /// <summary>Trace events, bring-up steps, splits and violations, in timeline order (violations drawn last, on top).</summary>
    private static void Markers(StringBuilder o, TimelineLayout layout, IReadOnlyList<TimelineEntry> entries, VariantReplay replay, Predicate<Violation>? isFinding)
    {
        var violations = new StringBuilder();
        var v = 0;
        o.Append("<g class=\"markers\">\n");
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (!TimelineLayout.IsDrawn(e)) continue;
            var (x, y) = (layout.X(i), layout.LaneCenter(e.Cpu));
            var at = Where(layout, e.Event);
            if (e.Kind == TimelineKind.Violation)
            {
                Violation? violation = v < replay.Violations.Count ? replay.Violations[v] : null;
                v++;
                ViolationMarker(violations, e, violation, x, y, at, replay.Env, isFinding);
            }
            else if (e.Kind == TimelineKind.Event)
            {
                o.Append(CultureInfo.InvariantCulture,
                    $"<circle class=\"event\" data-event=\"{e.Event}\" data-cpu=\"{e.Cpu}\" cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"3.5\" fill=\"{EventFill}\"><title>{E(at)}: {E(e.Text.TrimStart('>', ' '))}</title></circle>\n");
            }
            else if (TimelineLayout.IsSplit(e.Point))
            {
                o.Append(CultureInfo.InvariantCulture,
                    $"<path class=\"split\" data-event=\"{e.Event}\" data-cpu=\"{e.Cpu}\" d=\"{Diamond(x, y, 6)}\" fill=\"{SplitFill}\"><title>{E(at)}, CPU {e.Cpu}: {E(e.Text)}</title></path>\n");
            }
            else
            {
                o.Append(CultureInfo.InvariantCulture,
                    $"<line class=\"bringup\" data-event=\"{e.Event}\" data-cpu=\"{e.Cpu}\" x1=\"{N(x)}\" y1=\"{N(y - 11)}\" x2=\"{N(x)}\" y2=\"{N(y + 11)}\" stroke=\"#9a6700\" stroke-width=\"2\"><title>{E(at)}, CPU {e.Cpu}: {E(e.Text)}</title></line>\n");
            }
        }

        o.Append(violations).Append("</g>\n");
        Labels(o, layout, entries, replay, isFinding);
    }

    /// <summary>
    /// Written on the picture, not only in tooltips: the finding's violation ("tlb-conflict in split_pmd") and, when
    /// a split on that CPU led to it, that split ("the violating split").
    /// </summary>
    private static void Labels(StringBuilder o, TimelineLayout layout, IReadOnlyList<TimelineEntry> entries, VariantReplay replay, Predicate<Violation>? isFinding)
    {
        var v = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Kind != TimelineKind.Violation || !TimelineLayout.IsDrawn(e)) continue;
            Violation? violation = v < replay.Violations.Count ? replay.Violations[v] : null;
            v++;
            if (violation is not { } f || isFinding?.Invoke(f) != true) continue;
            var (x, y) = (layout.X(i), layout.LaneCenter(e.Cpu));
            o.Append(CultureInfo.InvariantCulture,
                $"<text class=\"finding-label\" x=\"{N(x + 11)}\" y=\"{N(y - 9)}\" font-weight=\"600\" fill=\"#82071e\">{E($"{f.Id} in {Points.Name(f.Where)}")}</text>\n");
            // The split primitive is logged next to the violation it caused (before or after it, on the splitting CPU's
            // lane; a TLB conflict is drawn on the lane of the CPU that would abort): the nearest one in the same event.
            var split = -1;
            for (var d = 1; d < entries.Count && split < 0; d++)
            {
                foreach (var j in (int[])[i - d, i + d])
                {
                    if (j < 0 || j >= entries.Count) continue;
                    var s = entries[j];
                    if (s.Event == e.Event && s.Point == f.Where && TimelineLayout.IsDrawn(s) && TimelineLayout.IsSplit(s.Point))
                    {
                        split = j;
                        break;
                    }
                }
            }

            if (split >= 0)
            {
                o.Append(CultureInfo.InvariantCulture,
                    $"<text class=\"split-label\" x=\"{N(layout.X(split))}\" y=\"{N(layout.LaneCenter(entries[split].Cpu) + 18)}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{SplitFill}\">the violating split: {E(Points.Name(f.Where))}</text>\n");
            }

            return; // one finding violation is labelled
        }
    }

    private static void ViolationMarker(StringBuilder o, TimelineEntry e, Violation? v, double x, double y, string at, EnvMode env, Predicate<Violation>? isFinding)
    {
        var reported = v is not { } r || r.ReportedIn(env);
        var finding = v is { } f && isFinding?.Invoke(f) == true;
        var css = reported ? finding ? "violation finding" : "violation" : "violation-masked";
        var title = v is { } w
            ? $"{w.Id} in {Points.Name(w.Where)} on CPU {e.Cpu} (task t{w.TaskLabel}, {at}): {w.Detail}; needs: {AssumptionNames.Format(w.Assumptions)}" +
              (reported ? "" : " (not reported in strict)")
            : $"{e.Text.TrimStart('!', ' ')} (CPU {e.Cpu}, {at})";
        var fill = reported ? ViolationFill : "#ffffff";
        o.Append(CultureInfo.InvariantCulture,
            $"<circle class=\"{css}\" data-event=\"{e.Event}\" data-cpu=\"{e.Cpu}\" cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"{(finding ? 8 : 6.5)}\" fill=\"{fill}\" stroke=\"#82071e\" stroke-width=\"{(finding ? 2.5 : 1.5)}\">")
            .Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title></circle>\n");
    }

    /// <summary>Every band, bar and marker drawn, in two rows when one does not fit.</summary>
    private static void Legend(StringBuilder o, TimelineLayout layout)
    {
        var y = layout.Height - TimelineLayout.LegendHeight + 12;
        var x = TimelineLayout.LabelWidth;
        var limit = layout.Width - 20;
        o.Append("<g class=\"legend\">\n");
        Item(o, ref x, ref y, limit, $"<rect x=\"{N(x)}\" y=\"{N(y - 7)}\" width=\"13\" height=\"14\" rx=\"3\" fill=\"#ddf4ff\"/><rect x=\"{N(x + 13)}\" y=\"{N(y - 7)}\" width=\"13\" height=\"14\" rx=\"3\" fill=\"#e8e4ff\"/>", 30, "boot phase (alternating)");
        Item(o, ref x, ref y, limit, $"<rect x=\"{N(x)}\" y=\"{N(y - 7)}\" width=\"26\" height=\"14\" fill=\"#eef2f7\" stroke=\"#d0d7de\"/>", 30, "drain: in-flight calls finish");
        Item(o, ref x, ref y, limit, $"<circle cx=\"{N(x + 5)}\" cy=\"{N(y)}\" r=\"3.5\" fill=\"{EventFill}\"/>", 14, "trace event");
        Item(o, ref x, ref y, limit, $"<rect x=\"{N(x)}\" y=\"{N(y - 7)}\" width=\"30\" height=\"14\" rx=\"7\" fill=\"{MmuFill}\" fill-opacity=\"0.45\" stroke=\"#bf8700\"/>",
            34, "secondary: MMU on → online");
        Item(o, ref x, ref y, limit, $"<line x1=\"{N(x + 5)}\" y1=\"{N(y - 7)}\" x2=\"{N(x + 5)}\" y2=\"{N(y + 7)}\" stroke=\"#9a6700\" stroke-width=\"2\"/>", 14, "bring-up / hot-plug step");
        Item(o, ref x, ref y, limit, $"<path d=\"{Diamond(x + 6, y, 6)}\" fill=\"{SplitFill}\"/>", 16, "split of a live mapping");
        Item(o, ref x, ref y, limit, $"<circle cx=\"{N(x + 7)}\" cy=\"{N(y)}\" r=\"6.5\" fill=\"{ViolationFill}\" stroke=\"#82071e\" stroke-width=\"1.5\"/>", 18, "violation");
        Item(o, ref x, ref y, limit, $"<circle cx=\"{N(x + 8)}\" cy=\"{N(y)}\" r=\"8\" fill=\"{ViolationFill}\" stroke=\"#82071e\" stroke-width=\"2.5\"/>", 20, "this finding's violation");
        Item(o, ref x, ref y, limit, $"<circle cx=\"{N(x + 7)}\" cy=\"{N(y)}\" r=\"6.5\" fill=\"#ffffff\" stroke=\"#82071e\" stroke-width=\"1.5\"/>", 18, "needs an assumption (masked in strict)");
        Item(o, ref x, ref y, limit, $"<text x=\"{N(x)}\" y=\"{N(y + 4)}\" font-size=\"9.5\" fill=\"#cf222e\">red</text>", 22, "lane note: CPU lacks BBML2_NOABORT");
        o.Append("</g>\n");
    }

    private static void Item(StringBuilder o, ref double x, ref double y, double limit, string swatch, double swatchWidth, string label)
    {
        var width = swatchWidth + label.Length * 6.3 + 18;
        if (x + width > limit && x > TimelineLayout.LabelWidth)
        {
            // Next row: the swatch was written for the old position, so shift it with a group transform.
            var dx = TimelineLayout.LabelWidth - x;
            y += 20;
            o.Append(CultureInfo.InvariantCulture, $"<g transform=\"translate({N(dx)} 20)\">").Append(swatch)
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + swatchWidth)}\" y=\"{N(y - 20 + 4)}\" fill=\"#24292f\">{E(label)}</text></g>\n");
            x = TimelineLayout.LabelWidth + width;
            return;
        }

        o.Append(swatch).Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + swatchWidth)}\" y=\"{N(y + 4)}\" fill=\"#24292f\">{E(label)}</text>\n");
        x += width;
    }

    private static string Diamond(double x, double y, double r) =>
        string.Create(CultureInfo.InvariantCulture, $"M{N(x)} {N(y - r)}L{N(x + r)} {N(y)}L{N(x)} {N(y + r)}L{N(x - r)} {N(y)}Z");

    private static string Where(TimelineLayout layout, int eventIndex) =>
        eventIndex >= layout.Events ? "the final drain" : $"event {eventIndex}";
}
