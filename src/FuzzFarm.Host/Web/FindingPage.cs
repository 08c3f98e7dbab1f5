using System.Text;
using FuzzFarm.Language;
using FuzzFarm.Variants;
using static FuzzFarm.Host.Web.Html;

namespace FuzzFarm.Host.Web;

/// <summary><c>/findings/KEY</c>: the facts, the timeline picture, the variant matrix, the trace and how to replay it.</summary>
internal static class FindingPage
{
    /// <param name="a">The finding, replayed.</param>
    /// <param name="campaignGuards">The live guard reads of the campaign's machines on the finding's version (null: not known here).</param>
    public static string Render(FindingAnalysis a, FuzzFarm.Model.GuardCoverage? campaignGuards = null)
    {
        var r = a.Record;
        var o = new StringBuilder();
        o.Append("<div class=\"breadcrumb\"><a href=\"/\">Dashboard</a> / findings / <span class=\"mono\">").Append(E(r.SignatureKey)).Append("</span></div>\n")
            .Append("<h1 id=\"title\">").Append(E(r.Title)).Append("</h1>\n<div class=\"subtitle\">")
            .Append("<span class=\"tag\">").Append(E(r.Variant)).Append("</span>")
            .Append(DashboardPage.InvariantBadge(r.Invariant))
            .Append("<span class=\"badge\">").Append(E(a.EnvName)).Append("</span>")
            .Append("<span class=\"muted\">").Append(Number(r.SmallestEvents)).Append(" events · ").Append(Number(r.Hits)).Append(r.Hits == 1 ? " hit" : " hits").Append("</span></div>\n");
        if (a.Problem is { } problem) o.Append("<div class=\"problem\">").Append(E(problem)).Append("</div>\n");
        // The picture first: it is what tells the story of the bug at a glance.
        Timeline(o, a);
        o.Append("<div class=\"grid2\">\n");
        Facts(o, a);
        Actions(o, a);
        o.Append("</div>\n");
        Matrix(o, a);
        Guards(o, a, campaignGuards);
        o.Append("<section class=\"card\"><h2>Minimized trace <span class=\"aside\"><a id=\"download\" href=\"")
            .Append(E(FindingUrl(r.SignatureKey, ".trace"))).Append("\" download=\"").Append(E(FindingFile.Name(r.SignatureKey))).Append(".trace\">")
            .Append("download ").Append(E(FindingFile.Name(r.SignatureKey))).Append(".trace</a></span></h2>\n")
            .Append("<pre id=\"trace\">").Append(E(r.SmallestTrace)).Append("</pre></section>\n");
        return Page(r.Title, o.ToString());
    }

    /// <summary>A page with one message (a refusal).</summary>
    public static string Message(string title, string text) => Page(title,
        $"<div class=\"breadcrumb\"><a href=\"/\">Dashboard</a></div>\n<section class=\"card\"><h1>{E(title)}</h1>\n<p id=\"message\">{E(text)}</p></section>\n");

    public static string NotFound(string key) => Page("Finding not found",
        "<div class=\"breadcrumb\"><a href=\"/\">Dashboard</a> / findings</div>\n<section class=\"card\"><h1>Finding not found</h1>\n" +
        $"<p>No finding has the signature key <code id=\"missing-key\">{E(key)}</code>. The aggregator knows every finding of the cluster; " +
        "see the <a href=\"/\">dashboard</a> for the list.</p></section>\n");

    private static void Facts(StringBuilder o, FindingAnalysis a)
    {
        var r = a.Record;
        o.Append("<section class=\"card\"><h2>Finding</h2><dl class=\"facts\" id=\"facts\">\n");
        Fact(o, "Signature key", $"<code>{E(r.SignatureKey)}</code>");
        Fact(o, "Variant", $"<span class=\"tag\">{E(r.Variant)}</span>" + Provenance(r.Variant));
        if (r.Variants.Any(v => v != r.Variant))
            Fact(o, "Also reported from", string.Join(" ", r.Variants.Where(v => v != r.Variant).Select(v => $"<span class=\"tag\">{E(v)}</span>")));
        Fact(o, "Invariant", DashboardPage.InvariantBadge(r.Invariant));
        Fact(o, "Where", $"<code>{E(r.Where)}</code>");
        Fact(o, "Detail", E(r.Detail));
        Fact(o, "Environment", E(a.EnvName));
        Fact(o, "Assumptions", r.Assumptions is "" or "none" ? "none" : $"<code>{E(r.Assumptions)}</code>");
        if (a.Program is { } p) Fact(o, "Machine", $"<code>{E(TraceWriter.FormatMachine(p.Machine))}</code>");
        Fact(o, "First seen", Time(r.FirstSeen) + " UTC");
        Fact(o, "Last seen", Time(r.LastSeen) + " UTC");
        Fact(o, "Hits", Number(r.Hits));
        Fact(o, "Machines", string.Join("<br>", r.Machines.Select(m => $"<span class=\"mono\">{E(m)}</span>")));
        if (r.FirstReport.Length > 0) Fact(o, "First report", $"<span class=\"mono\">{E(r.FirstReport)}</span>");
        o.Append("</dl></section>\n");
    }

    private static void Fact(StringBuilder o, string name, string valueHtml) =>
        o.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(valueHtml).Append("</dd>\n");

    private static string Provenance(string variant) =>
        VariantCatalog.TryGet(variant, out var v) ? $" <span class=\"muted\">{E(v.Summary)}</span>" : "";

    private static void Actions(StringBuilder o, FindingAnalysis a)
    {
        var key = a.Record.SignatureKey;
        var file = FindingFile.Name(key);
        o.Append("<section class=\"card actions\"><h2>Share and replay</h2>\n")
            .Append("<a class=\"button primary\" id=\"download-button\" href=\"").Append(E(FindingUrl(key, ".trace"))).Append("\">Download trace</a>\n")
            .Append("<a class=\"button\" id=\"markdown\" href=\"").Append(E(FindingUrl(key, ".md"))).Append("\">Markdown report</a>\n")
            .Append("<p class=\"muted\">Replay it locally:</p><pre id=\"replay\">fuzzfarm replay ").Append(E(file)).Append(".trace \\\n  --variant ")
            .Append(E(a.Record.Variant)).Append(" --env ").Append(E(a.EnvName)).Append("</pre></section>\n");
    }

    private static void Timeline(StringBuilder o, FindingAnalysis a)
    {
        if (a.Program is not { } program || a.Replay is not { } replay) return;
        var reported = replay.Reported.Count();
        o.Append("<section class=\"card\"><h2>Timeline <span class=\"aside\">replay of the minimized trace on ")
            .Append(E(replay.Variant.Id)).Append(", ").Append(E(a.EnvName)).Append(": ").Append(E(replay.Verdict))
            .Append(reported > 1 ? $" ({reported} violations)" : "").Append(" · hover a marker for details</span></h2>\n")
            .Append("<div class=\"timeline-scroll\">\n").Append(TimelineSvg.Render(program, replay, a.IsFinding)).Append("</div></section>\n");
    }

    private static void Guards(StringBuilder o, FindingAnalysis a, FuzzFarm.Model.GuardCoverage? campaign)
    {
        if (a.Replay?.Guards is not { } trace) return;
        var columns = new List<(string, string, FuzzFarm.Model.GuardCoverage)> { ("this trace", "the minimized trace's live guard reads on " + a.Replay.Variant.Id, trace) };
        if (campaign is not null) columns.Add(($"campaign on {a.Replay.Variant.Id}", "every machine grain of this version, since it started", campaign));
        o.Append("<section class=\"card\"><h2>Guard coverage <span class=\"aside\">how often each guard answered what: in the reproducer, and over the campaign on ")
            .Append(E(a.Replay.Variant.Id)).Append("</span></h2>\n");
        GuardTable.Render(o, "finding-guards", columns);
        o.Append("</section>\n");
    }

    private static void Matrix(StringBuilder o, FindingAnalysis a)
    {
        if (a.Row is not { } row) return;
        o.Append("<section class=\"card\"><h2>Variant matrix <span class=\"aside\">the minimized trace on every catalog variant, ")
            .Append(E(a.EnvName)).Append("; introduced in <strong>").Append(E(row.IntroducedIn ?? "–")).Append("</strong>, fixed in <strong>")
            .Append(E(row.FixedIn ?? (row.IntroducedIn is null ? "–" : "not fixed"))).Append("</strong></span></h2>\n")
            .Append("<table id=\"matrix\"><thead><tr><th>Variant</th><th>Reproduces</th><th>Where</th><th>History</th><th>Change</th></tr></thead><tbody>\n");
        foreach (var c in row.Cells)
        {
            var history = c.Variant == row.IntroducedIn ? "introduced in" : c.Variant == row.FixedIn ? "fixed in" : "";
            var css = history switch { "introduced in" => " class=\"introduced\"", "fixed in" => " class=\"fixed\"", _ => "" };
            var summary = VariantCatalog.TryGet(c.Variant, out var v) ? v.Summary : "";
            o.Append("<tr").Append(css).Append(" data-variant=\"").Append(E(c.Variant)).Append("\"><td><span class=\"tag\">").Append(E(c.Variant)).Append("</span>")
                .Append(c.Variant == a.Record.Variant ? " <span class=\"muted\">(this finding)</span>" : "").Append("</td>")
                .Append(c.Reproduces ? "<td class=\"yes\">yes</td>" : "<td class=\"no\">no</td>")
                .Append("<td>").Append(c.Reproduces ? $"<code>{E(FuzzFarm.Model.Points.Name(c.Where))}</code>" : "").Append("</td>")
                .Append("<td>").Append(E(history)).Append("</td>")
                .Append("<td class=\"muted\">").Append(E(summary)).Append("</td></tr>\n");
        }

        o.Append("</tbody></table></section>\n");
    }
}
