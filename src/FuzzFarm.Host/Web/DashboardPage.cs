using System.Globalization;
using System.Text;
using FuzzFarm.Farm;
using FuzzFarm.Model;
using static FuzzFarm.Host.Web.Html;

namespace FuzzFarm.Host.Web;

/// <summary><c>/</c>: totals, one row per campaign, the findings table; a small script keeps the figures live.</summary>
internal static class DashboardPage
{
    public static string Render(DashboardSnapshot s)
    {
        var o = new StringBuilder();
        var running = s.Campaigns.Count(c => c.State == "running");
        o.Append("<div class=\"stats\">\n");
        Stat(o, "Execution rate", $"<span id=\"exec-rate\">{Number((long)Math.Round(s.AverageRate))}</span> <span class=\"unit\">execs/s</span>");
        Stat(o, "Executions", $"<span id=\"total-executions\">{Number(s.TotalExecutions)}</span>");
        Stat(o, "Findings", $"<span id=\"finding-count\">{Number(s.Findings.Count)}</span> <span class=\"unit\">signatures</span>");
        Stat(o, "Campaigns", $"<span id=\"campaigns-running\">{running}</span> <span class=\"unit\">running of {s.Campaigns.Count}</span>");
        o.Append("</div>\n");
        Campaigns(o, s);
        Findings(o, s);
        o.Append("<p class=\"muted\">Prometheus metrics: <a href=\"/metrics\">/metrics</a> · JSON: <a href=\"/api/status\">/api/status</a> · ")
            .Append("<span id=\"updated\">").Append(Time(s.Time)).Append(" UTC</span></p>\n");
        return Page("Dashboard", o.ToString(), Script.Replace("RENDERED_FINDINGS", s.Findings.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    private static void Stat(StringBuilder o, string label, string valueHtml) =>
        o.Append("<div class=\"stat\"><div class=\"label\">").Append(E(label)).Append("</div><div class=\"value\">").Append(valueHtml).Append("</div></div>\n");

    private static void Campaigns(StringBuilder o, DashboardSnapshot s)
    {
        o.Append("<section class=\"card\"><h2>Campaigns</h2>\n");
        if (s.Campaigns.Count == 0)
        {
            o.Append("<p class=\"empty\">No campaign yet: start one with <code>fuzzfarm campaign start</code>.</p></section>\n");
            return;
        }

        o.Append("<table id=\"campaigns\"><thead><tr><th>Campaign</th><th>State</th><th class=\"num\">Executions</th><th class=\"num\">Execs/s</th>")
            .Append("<th class=\"num\">Findings</th><th class=\"num\">Machines running</th><th class=\"num\">Corpus</th><th class=\"num\">Features</th><th>Started (UTC)</th></tr></thead><tbody>\n");
        foreach (var c in s.Campaigns.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var rate = c.State == "running" && c.Started is { } st && s.Time > st ? c.Executions / (s.Time - st).TotalSeconds : 0;
            o.Append("<tr data-campaign=\"").Append(E(c.Name)).Append("\"><td><strong>").Append(E(c.Name)).Append("</strong></td>")
                .Append("<td>").Append(StateBadge(c.State)).Append("</td>")
                .Append("<td class=\"num\" data-executions>").Append(Number(c.Executions)).Append("</td>")
                .Append("<td class=\"num\" data-rate>").Append(Number((long)Math.Round(rate))).Append("</td>")
                .Append("<td class=\"num\" data-findings>").Append(Number(c.Findings)).Append("</td>")
                .Append("<td class=\"num\" data-machines>").Append(c.Machines.Count(m => m.Running)).Append(" / ").Append(c.Machines.Count).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(c.Machines.Sum(m => (long)m.Corpus))).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(c.Machines.Sum(m => (long)m.Features))).Append("</td>")
                .Append("<td class=\"time\">").Append(Time(c.Started)).Append("</td></tr>\n");
        }

        o.Append("</tbody></table></section>\n");
    }

    private static void Findings(StringBuilder o, DashboardSnapshot s)
    {
        o.Append("<section class=\"card\"><h2>Findings <span class=\"aside\">one row per root cause · newest first</span></h2>\n")
            .Append("<div id=\"new-findings\" class=\"notice\"></div>\n");
        if (s.Findings.Count == 0)
        {
            o.Append("<p class=\"empty\">No findings yet.</p>\n<table id=\"findings\" hidden></table></section>\n");
            return;
        }

        o.Append("<table id=\"findings\"><thead><tr><th>Title</th><th>Variants</th><th>Invariant</th><th>Env</th>")
            .Append("<th>First seen (UTC)</th><th>Last seen (UTC)</th><th class=\"num\">Hits</th><th class=\"num\">Events</th></tr></thead><tbody>\n");
        foreach (var f in s.FindingsNewestFirst)
        {
            o.Append("<tr><td><a class=\"finding-link\" href=\"").Append(E(FindingUrl(f.SignatureKey))).Append("\">").Append(E(f.Title)).Append("</a>")
                .Append("<div class=\"muted mono\">").Append(E(f.SignatureKey)).Append("</div></td>")
                .Append("<td>").Append(string.Join(" ", (f.Variants.Count > 0 ? f.Variants : [f.Variant]).Select(v => $"<span class=\"tag\">{E(v)}</span>"))).Append("</td>")
                .Append("<td>").Append(InvariantBadge(f.Invariant)).Append("</td>")
                .Append("<td>").Append(E(FindingsLedger.AssumptionCount(f.Assumptions) == 0 ? "strict" : $"adversarial: {f.Assumptions}")).Append("</td>")
                .Append("<td class=\"time\">").Append(ShortTime(f.FirstSeen, s.Time)).Append("</td>")
                .Append("<td class=\"time\">").Append(ShortTime(f.LastSeen, s.Time)).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(f.Hits)).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(f.SmallestEvents)).Append("</td></tr>\n");
        }

        o.Append("</tbody></table></section>\n");
    }

    /// <summary>The invariant id, coloured by kind (a broken guarantee or a kernel WARNING).</summary>
    public static string InvariantBadge(string invariant)
    {
        var kind = Invariants.TryParse(invariant, out var i) && Invariants.Kind(i) == FindingKind.Warning ? "warning" : "bug";
        return $"<span class=\"badge kind-{kind}\">{E(invariant)}</span>";
    }

    /// <summary>
    /// Polls <c>/api/status</c> every 2 s: the execution rate is the executions added between two polls over the
    /// time between them (the page starts with the average since each campaign's start).
    /// </summary>
    private const string Script = """
        (function () {
          const rendered = RENDERED_FINDINGS;
          const fmt = n => Math.round(n).toLocaleString('en-US');
          const byId = id => document.getElementById(id);
          let last = null;
          async function poll() {
            let s;
            try {
              const r = await fetch('/api/status', { cache: 'no-store' });
              if (!r.ok) throw new Error(r.status);
              s = await r.json();
            } catch (e) {
              byId('updated').textContent = 'status unavailable (' + e.message + '), retrying';
              return;
            }
            const now = performance.now();
            const dt = last ? (now - last.t) / 1000 : 0;
            if (last && dt > 0) byId('exec-rate').textContent = fmt(Math.max(0, (s.total_executions - last.total) / dt));
            byId('total-executions').textContent = fmt(s.total_executions);
            byId('finding-count').textContent = fmt(s.findings.count);
            byId('campaigns-running').textContent = s.campaigns.filter(c => c.state === 'running').length;
            const rows = new Map([...document.querySelectorAll('tr[data-campaign]')].map(tr => [tr.dataset.campaign, tr]));
            for (const c of s.campaigns) {
              const tr = rows.get(c.name);
              if (!tr) continue;
              tr.querySelector('[data-executions]').textContent = fmt(c.executions);
              tr.querySelector('[data-findings]').textContent = fmt(c.findings);
              tr.querySelector('[data-machines]').textContent = c.machines.running + ' / ' + c.machines.total;
              const badge = tr.querySelector('[data-state]');
              badge.textContent = c.state;
              badge.className = 'badge state-' + c.state;
              const before = last && last.campaigns.get(c.name);
              if (before !== undefined && dt > 0) tr.querySelector('[data-rate]').textContent = fmt(Math.max(0, (c.executions - before) / dt));
            }
            const fresh = s.findings.count - rendered;
            const note = byId('new-findings');
            if (fresh > 0) {
              note.style.display = 'block';
              note.innerHTML = '';
              note.append(fresh + ' new finding' + (fresh === 1 ? '' : 's') + ' since this page loaded: ');
              const a = document.createElement('a');
              a.href = '/';
              a.textContent = 'reload';
              note.append(a);
            }
            byId('updated').textContent = 'live, updated ' + new Date().toISOString().slice(11, 19) + ' UTC';
            last = { t: now, total: s.total_executions, campaigns: new Map(s.campaigns.map(c => [c.name, c.executions])) };
          }
          poll();
          setInterval(poll, 2000);
        })();
        """;
}
