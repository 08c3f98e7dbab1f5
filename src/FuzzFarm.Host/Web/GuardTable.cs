using System.Text;
using FuzzFarm.Model;
using static FuzzFarm.Host.Web.Html;

namespace FuzzFarm.Host.Web;

/// <summary>
/// Guard coverage as a table: one row per guard answer ("cpus_read_trylock() failed"), one column per tally (a
/// version, or "this trace"). Shows that a window was reached and refused, not just unreached. Rows no column saw
/// are left out; a guard a column never read shows "–".
/// </summary>
internal static class GuardTable
{
    public static void Render(StringBuilder o, string id, IReadOnlyList<(string Header, string Title, GuardCoverage Tally)> columns)
    {
        o.Append("<table id=\"").Append(E(id)).Append("\" class=\"guards\"><thead><tr><th>Guard answer</th>");
        foreach (var c in columns) o.Append("<th class=\"num\" title=\"").Append(E(c.Title)).Append("\">").Append(E(c.Header)).Append("</th>");
        o.Append("</tr></thead><tbody>\n");
        foreach (var g in GuardCoverage.Guards.ToArray())
        {
            foreach (var value in (bool[])[false, true])
            {
                if (columns.All(c => c.Tally.Of(g, value) == 0)) continue;
                o.Append("<tr data-guard=\"").Append(E(GuardCoverage.Key(g, value))).Append("\"><td><code>")
                    .Append(E(GuardCoverage.Describe(g, value))).Append("</code></td>");
                foreach (var c in columns)
                {
                    var n = c.Tally.Of(g, value);
                    o.Append("<td class=\"num\">").Append(n == 0 ? "–" : Number(n)).Append("</td>");
                }

                o.Append("</tr>\n");
            }
        }

        o.Append("</tbody></table>\n");
    }
}
