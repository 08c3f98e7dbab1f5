using System.Globalization;
using System.Text;
using FuzzFarm.Farm;
using FuzzFarm.Model;
using static FuzzFarm.Host.Web.Html;

namespace FuzzFarm.Host.Web;

/// <summary><c>/</c>: totals, one row per campaign, the findings table; a small script keeps the figures live.</summary>
internal static class DashboardPage
{
    public static string Render(DashboardSnapshot s, IReadOnlyList<HistorySample>? history = null)
    {
        var o = new StringBuilder();
        var running = s.Campaigns.Count(c => c.State == "running");
        o.Append("<div class=\"stats\">\n");
        Stat(o, "Execution rate", $"<span id=\"exec-rate\">{Number((long)Math.Round(s.AverageRate))}</span> <span class=\"unit\">execs/s</span>");
        Stat(o, "Executions", $"<span id=\"total-executions\">{Number(s.TotalExecutions)}</span>");
        Stat(o, "Findings", $"<span id=\"finding-count\">{Number(s.Findings.Count)}</span> <span class=\"unit\">root causes</span>");
        Stat(o, "Campaigns", $"<span id=\"campaigns-running\">{running}</span> <span class=\"unit\">running of {s.Campaigns.Count}</span>");
        o.Append("</div>\n");
        Verdicts(o, s);
        o.Append("<div id=\"plots-slot\">").Append(PlotsSection.Render(history ?? [])).Append("</div>\n");
        Guards(o, s);
        Fragmentation(o, s);
        Campaigns(o, s);
        Findings(o, s);
        o.Append("<p class=\"muted\">Prometheus metrics: <a href=\"/metrics\">/metrics</a> · JSON: <a href=\"/api/status\">/api/status</a> · ")
            .Append("<span id=\"updated\">").Append(Time(s.Time)).Append(" UTC</span></p>\n");
        return Page("Dashboard", o.ToString(), Script.Replace("RENDERED_FINDINGS", s.Findings.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) + FilterScript);
    }

    /// <summary>
    /// The first view: root causes × versions, grouped (strict hazards, hazards needing assumptions, expected
    /// refusals, the canary only); each row links to its finding page; filters by version, invariant and environment.
    /// </summary>
    private static void Verdicts(StringBuilder o, DashboardSnapshot s)
    {
        o.Append("<section class=\"card\"><h2>Verdicts <span class=\"aside\">root cause × version · ✘ strict: the kernel's own callers · ✘ adv: needs assumptions · – N: not seen in the campaign's N execs on that version · ·: version not run</span></h2>\n");
        if (s.Findings.Count == 0)
        {
            o.Append("<p class=\"empty\">No root cause yet.</p>\n<table id=\"verdicts\" hidden></table></section>\n");
            return;
        }

        var versions = FuzzFarm.Variants.VariantCatalog.All;
        var execs = VerdictGrid.ExecutionsByVersion(s.Campaigns.SelectMany(c => c.Machines));
        o.Append("<div class=\"filters\">")
            .Append("<label>version <select id=\"filter-version\"><option value=\"\">any</option>");
        foreach (var v in versions) o.Append("<option value=\"").Append(E(v.Id)).Append("\">").Append(E(v.Id)).Append("</option>");
        o.Append("</select></label> <label>invariant <select id=\"filter-invariant\"><option value=\"\">any</option>");
        foreach (var i in s.Findings.Select(f => f.Invariant).Distinct().Order(StringComparer.Ordinal)) o.Append("<option>").Append(E(i)).Append("</option>");
        o.Append("</select></label> <label>environment <select id=\"filter-env\"><option value=\"\">any</option><option>strict</option><option>adversarial</option></select></label></div>\n");
        o.Append("<table id=\"verdicts\"><thead><tr><th>Root cause</th>");
        foreach (var v in versions) o.Append("<th title=\"").Append(E(v.Id)).Append("\">").Append(E(v.Letter.Length > 0 ? v.Letter : v.Id)).Append("</th>");
        o.Append("</tr></thead>\n");
        foreach (var group in s.Findings.GroupBy(VerdictGrid.Kind).OrderBy(g => g.Key))
        {
            o.Append("<tbody data-kind=\"").Append(group.Key).Append("\"><tr class=\"group\"><th colspan=\"").Append(versions.Count + 1).Append("\">")
                .Append(E(VerdictGrid.KindTitle(group.Key))).Append("</th></tr>\n");
            foreach (var f in group.OrderBy(f => f.SignatureKey, StringComparer.Ordinal))
            {
                var shown = versions.Where(v => VerdictGrid.Shown(f, v.Id) is not null).Select(v => v.Id);
                var env = FindingsLedger.AssumptionCount(f.Assumptions) == 0 ? "strict" : "adversarial";
                o.Append("<tr class=\"verdict-row\" data-invariant=\"").Append(E(f.Invariant)).Append("\" data-env=\"").Append(env)
                    .Append("\" data-versions=\"").Append(E(string.Join(" ", shown))).Append("\"><td><a class=\"finding-link\" href=\"")
                    .Append(E(FindingUrl(f.SignatureKey))).Append("\">").Append(E(f.SignatureKey)).Append("</a><div class=\"muted\">")
                    .Append(E(f.Title)).Append("</div></td>");
                foreach (var v in versions)
                {
                    var cell = VerdictGrid.Cell(f, v.Id, execs.GetValueOrDefault(v.Id));
                    var cls = cell.StartsWith("✘ strict", StringComparison.Ordinal) ? "shown strict" : cell.StartsWith('✘') ? "shown" : "absent";
                    o.Append("<td class=\"cell ").Append(cls).Append("\" data-version=\"").Append(E(v.Id)).Append("\">").Append(E(cell)).Append("</td>");
                }

                o.Append("</tr>\n");
            }

            o.Append("</tbody>\n");
        }

        o.Append("</table><p class=\"muted\">Bounded searches per cell and proofs of absence: <code>fuzzfarm verdicts DATA/findings</code>.</p></section>\n");
    }

    /// <summary>How often each guard answered what, per version, over the campaigns' machine grains.</summary>
    private static void Guards(StringBuilder o, DashboardSnapshot s)
    {
        o.Append("<section class=\"card\"><h2>Guard coverage <span class=\"aside\">live guard reads per version, all machines: a window reached and refused, not just unreached</span></h2>\n");
        var byVersion = VerdictGrid.GuardsByVersion(s.Campaigns.SelectMany(c => c.Machines));
        var columns = FuzzFarm.Variants.VariantCatalog.All.Where(v => byVersion.ContainsKey(v.Id))
            .Select(v => (v.Letter.Length > 0 ? v.Letter : v.Id, v.Id, byVersion[v.Id])).ToList();
        if (columns.Count == 0)
        {
            o.Append("<p class=\"empty\">No guard read yet.</p>\n<table id=\"guard-coverage\" hidden></table></section>\n");
            return;
        }

        GuardTable.Render(o, "guard-coverage", columns);
        o.Append("</section>\n");
    }

    /// <summary>
    /// What the runs' splits cost the linear map, per version (§9: performance, not correctness): page-table pages
    /// and boot-layout block bytes left page-mapped, per execution, over every machine's session.
    /// </summary>
    private static void Fragmentation(StringBuilder o, DashboardSnapshot s)
    {
        o.Append("<section class=\"card\"><h2>Fragmentation <span class=\"aside\">what the splits cost the linear map, per execution (a split is permanent; the FINALIZE repaint counts)</span></h2>\n");
        var byVersion = VerdictGrid.FragmentationByVersion(s.Campaigns.SelectMany(c => c.Machines)).OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        if (byVersion.Count == 0)
        {
            o.Append("<p class=\"empty\">No execution yet.</p>\n<table id=\"fragmentation\" hidden></table></section>\n");
            return;
        }

        o.Append("<table id=\"fragmentation\"><thead><tr><th>Version</th><th class=\"num\">Executions</th><th class=\"num\">Leaves / exec</th>")
            .Append("<th class=\"num\">Table pages / exec</th><th class=\"num\">MiB page-mapped / exec</th></tr></thead>\n<tbody>\n");
        foreach (var (v, t) in byVersion)
        {
            o.Append("<tr data-version=\"").Append(E(v)).Append("\"><td><span class=\"tag\">").Append(E(v)).Append("</span></td><td class=\"num\">")
                .Append(Number(t.Executions)).Append("</td><td class=\"num\">").Append(Mean(t.Leaves, t.Executions)).Append("</td><td class=\"num\" data-table-pages>")
                .Append(Mean(t.TablePages, t.Executions)).Append("</td><td class=\"num\">").Append(Mean(t.BlockBytesLost / (1024.0 * 1024.0), t.Executions)).Append("</td></tr>\n");
        }

        o.Append("</tbody></table></section>\n");
    }

    private static string Mean(double total, long n) => (total / n).ToString("N1", CultureInfo.InvariantCulture);

    private const string FilterScript = """
        (function () {
          const pick = id => document.getElementById(id);
          const apply = () => {
            const version = pick('filter-version')?.value ?? '', inv = pick('filter-invariant')?.value ?? '', env = pick('filter-env')?.value ?? '';
            document.querySelectorAll('#verdicts tr.verdict-row').forEach(r => {
              const ok = (!version || r.dataset.versions.split(' ').includes(version)) && (!inv || r.dataset.invariant === inv) && (!env || r.dataset.env === env);
              r.hidden = !ok;
            });
          };
          ['filter-version', 'filter-invariant', 'filter-env'].forEach(id => pick(id)?.addEventListener('change', apply));
        })();

        """;

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
          async function plots() {
            try {
              const r = await fetch('/plots', { cache: 'no-store' });
              if (!r.ok) return;
              const slot = byId('plots-slot');
              const open = slot.querySelector('details')?.open;
              slot.innerHTML = await r.text();
              if (open) slot.querySelector('details').open = true;
            } catch (e) { /* the next tick tries again */ }
          }
          poll();
          setInterval(poll, 2000);
          setInterval(plots, 10000);
        })();
        """;
}
