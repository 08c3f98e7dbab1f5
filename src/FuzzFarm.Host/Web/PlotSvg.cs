using System.Globalization;
using System.Text;
using static FuzzFarm.Host.Web.Html;

namespace FuzzFarm.Host.Web;

/// <summary>
/// Line charts as inline SVG, drawn on the server from <see cref="StatusHistory"/> (no client-side framework): the
/// dashboard's plots of execution rate, coverage features and root causes over time, per campaign and per machine.
/// </summary>
internal static class PlotSvg
{
    private static readonly string[] _colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04"];

    /// <summary>One line: its name and (seconds since the first sample, value) points.</summary>
    public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

    /// <summary>A chart with axes, the value range and time span labelled, and a legend naming every line.</summary>
    public static string Chart(string id, string title, string unit, IReadOnlyList<Series> series, int width = 372, int height = 180)
    {
        const int left = 64, right = 12, top = 26, bottom = 34;
        var all = series.SelectMany(s => s.Points).ToList();
        var maxX = all.Count == 0 ? 1 : Math.Max(1, all.Max(p => p.X));
        var maxY = all.Count == 0 ? 1 : Math.Max(1, all.Max(p => p.Y));
        var legendRows = (series.Count + 1) / 2;
        var h = height + 14 + legendRows * 16;
        var w = width - left - right;
        var ph = height - top - bottom;
        var o = new StringBuilder();
        o.Append("<svg class=\"plot\" id=\"").Append(E(id)).Append("\" role=\"img\" aria-label=\"").Append(E(title)).Append("\" width=\"").Append(width)
            .Append("\" height=\"").Append(h).Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(h).Append("\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append("<text x=\"").Append(left).Append("\" y=\"16\" class=\"plot-title\" font-size=\"13\" font-weight=\"600\">").Append(E(title)).Append("</text>")
            .Append("<line x1=\"").Append(left).Append("\" y1=\"").Append(top + ph).Append("\" x2=\"").Append(left + w).Append("\" y2=\"").Append(top + ph).Append("\" stroke=\"#9ca3af\"/>")
            .Append("<line x1=\"").Append(left).Append("\" y1=\"").Append(top).Append("\" x2=\"").Append(left).Append("\" y2=\"").Append(top + ph).Append("\" stroke=\"#9ca3af\"/>");
        // Y: 0, half and the maximum; X: 0 and the span.
        foreach (var f in (double[])[0, 0.5, 1])
        {
            var y = top + ph - f * ph;
            o.Append("<text x=\"").Append(left - 6).Append("\" y=\"").Append(F(y + 4)).Append("\" font-size=\"11\" text-anchor=\"end\">").Append(E(Short(maxY * f))).Append("</text>");
            if (f > 0) o.Append("<line x1=\"").Append(left).Append("\" y1=\"").Append(F(y)).Append("\" x2=\"").Append(left + w).Append("\" y2=\"").Append(F(y)).Append("\" stroke=\"#e5e7eb\"/>");
        }

        o.Append("<text x=\"").Append(left).Append("\" y=\"").Append(top + ph + 14).Append("\" font-size=\"11\">0 s</text>")
            .Append("<text x=\"").Append(left + w).Append("\" y=\"").Append(top + ph + 14).Append("\" font-size=\"11\" text-anchor=\"end\">").Append(E(Duration(maxX))).Append("</text>")
            .Append("<text x=\"").Append(left + w / 2).Append("\" y=\"").Append(top + ph + 28).Append("\" font-size=\"11\" text-anchor=\"middle\" fill=\"#6b7280\">time since the first sample · ")
            .Append(E(unit)).Append("</text>");
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var color = _colors[i % _colors.Length];
            if (s.Points.Count > 0)
            {
                o.Append("<polyline class=\"plot-line\" data-series=\"").Append(E(s.Name)).Append("\" fill=\"none\" stroke=\"").Append(color).Append("\" stroke-width=\"1.8\" points=\"");
                foreach (var (x, y) in s.Points) o.Append(F(left + x / maxX * w)).Append(',').Append(F(top + ph - y / maxY * ph)).Append(' ');
                o.Append("\"/>");
            }

            var lx = left + (i % 2) * (w / 2);
            var ly = height + 12 + (i / 2) * 16;
            o.Append("<rect x=\"").Append(lx).Append("\" y=\"").Append(ly - 9).Append("\" width=\"10\" height=\"10\" fill=\"").Append(color).Append("\"/>")
                .Append("<text class=\"plot-legend\" x=\"").Append(lx + 14).Append("\" y=\"").Append(ly).Append("\" font-size=\"11\">").Append(E(Clip(s.Name, 28))).Append("</text>");
        }

        return o.Append("</svg>").ToString();
    }

    /// <summary>A sparkline (no axes) for a table cell: the line and its last value.</summary>
    public static string Spark(IReadOnlyList<(double X, double Y)> points, int width = 120, int height = 22)
    {
        var maxX = points.Count == 0 ? 1 : Math.Max(1, points.Max(p => p.X));
        var maxY = points.Count == 0 ? 1 : Math.Max(1, points.Max(p => p.Y));
        var o = new StringBuilder("<svg class=\"spark\" width=\"").Append(width).Append("\" height=\"").Append(height).Append("\" xmlns=\"http://www.w3.org/2000/svg\"><polyline fill=\"none\" stroke=\"#2563eb\" stroke-width=\"1.5\" points=\"");
        foreach (var (x, y) in points) o.Append(F(x / maxX * (width - 2) + 1)).Append(',').Append(F(height - 2 - y / maxY * (height - 4))).Append(' ');
        return o.Append("\"/></svg>").ToString();
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Clip(string s, int n) => s.Length <= n ? s : "…" + s[^(n - 1)..];

    /// <summary>1234 → "1.2k", 2_500_000 → "2.5M".</summary>
    public static string Short(double v) => v switch
    {
        >= 1e9 => (v / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1e4 => (v / 1e3).ToString("0", CultureInfo.InvariantCulture) + "k",
        >= 1e3 => (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => v.ToString("0.#", CultureInfo.InvariantCulture),
    };

    private static string Duration(double seconds) => seconds switch
    {
        >= 7200 => (seconds / 3600).ToString("0.#", CultureInfo.InvariantCulture) + " h",
        >= 120 => (seconds / 60).ToString("0.#", CultureInfo.InvariantCulture) + " min",
        _ => seconds.ToString("0", CultureInfo.InvariantCulture) + " s",
    };
}

/// <summary>The dashboard's "Over time" section: campaign charts and a per-machine table of sparklines.</summary>
internal static class PlotsSection
{
    public static string Render(IReadOnlyList<HistorySample> samples)
    {
        var o = new StringBuilder();
        o.Append("<section class=\"card\" id=\"plots\"><h2>Over time <span class=\"aside\">sampled every ")
            .Append(StatusHistory.Period.TotalSeconds.ToString(CultureInfo.InvariantCulture)).Append(" s from the status this page polls · ")
            .Append(samples.Count).Append(samples.Count == 1 ? " sample" : " samples").Append("</span></h2>\n");
        if (samples.Count < 2)
        {
            o.Append("<p class=\"empty\">The plots appear after two samples.</p></section>\n");
            return o.ToString();
        }

        var t0 = samples[0].Time;
        o.Append("<div class=\"plots\">")
            .Append(PlotSvg.Chart("plot-rate", "Execution rate", "execs/s", Lines(samples, t0, s => s.Campaigns, rate: true, p => p.Executions)))
            .Append(PlotSvg.Chart("plot-features", "Coverage features", "features (model state + edges)", Lines(samples, t0, s => s.Campaigns, rate: false, p => p.Features)))
            .Append(PlotSvg.Chart("plot-root-causes", "Root causes found", "root causes", Lines(samples, t0, s => s.Campaigns, rate: false, p => p.RootCauses)))
            .Append("</div>\n");
        var machines = samples[^1].Machines.Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
        o.Append("<details><summary>Per machine grain (").Append(machines.Count).Append(")</summary>\n<table id=\"machine-plots\"><thead><tr><th>Machine grain</th>")
            .Append("<th>Execution rate</th><th class=\"num\">execs/s</th><th>Features</th><th class=\"num\">now</th><th class=\"num\">Root causes</th></tr></thead><tbody>\n");
        foreach (var key in machines)
        {
            var rate = Points(samples, t0, s => s.Machines, key, rate: true, p => p.Executions);
            var features = Points(samples, t0, s => s.Machines, key, rate: false, p => p.Features);
            var last = samples[^1].Machines.First(m => m.Key == key);
            o.Append("<tr><td class=\"mono\">").Append(Html.E(key)).Append("</td><td>").Append(PlotSvg.Spark(rate)).Append("</td><td class=\"num\">")
                .Append(Html.Number((long)(rate.Count > 0 ? rate[^1].Y : 0))).Append("</td><td>").Append(PlotSvg.Spark(features)).Append("</td><td class=\"num\">")
                .Append(Html.Number(last.Features)).Append("</td><td class=\"num\">").Append(Html.Number(last.RootCauses)).Append("</td></tr>\n");
        }

        o.Append("</tbody></table></details></section>\n");
        return o.ToString();
    }

    private static List<PlotSvg.Series> Lines(IReadOnlyList<HistorySample> samples, DateTimeOffset t0,
        Func<HistorySample, IReadOnlyList<HistoryPoint>> pick, bool rate, Func<HistoryPoint, long> value) =>
        [.. samples.SelectMany(s => pick(s).Select(p => p.Key)).Distinct().Order(StringComparer.Ordinal)
            .Select(k => new PlotSvg.Series(k, Points(samples, t0, pick, k, rate, value)))];

    /// <summary>The key's points; with <paramref name="rate"/>, the change per second between consecutive samples.</summary>
    private static List<(double X, double Y)> Points(IReadOnlyList<HistorySample> samples, DateTimeOffset t0,
        Func<HistorySample, IReadOnlyList<HistoryPoint>> pick, string key, bool rate, Func<HistoryPoint, long> value)
    {
        var list = new List<(double, double)>();
        (DateTimeOffset T, long V)? before = null;
        foreach (var s in samples)
        {
            if (pick(s).FirstOrDefault(p => p.Key == key) is not { } p) continue;
            var v = value(p);
            var x = (s.Time - t0).TotalSeconds;
            if (!rate) list.Add((x, v));
            else if (before is { } b && s.Time > b.T) list.Add((x, Math.Max(0, (v - b.V) / (s.Time - b.T).TotalSeconds)));
            before = (s.Time, v);
        }

        return list;
    }
}
