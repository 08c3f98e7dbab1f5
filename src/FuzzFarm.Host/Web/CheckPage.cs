using System.Text;
using FuzzFarm.Engine;
using FuzzFarm.KernelC;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;
using static FuzzFarm.Host.Web.Html;

namespace FuzzFarm.Host.Web;

/// <summary>
/// The dashboard's check page (<c>/check</c>): paste the C text of split_kernel_leaf_mapping() or a patch against a
/// shipped version, get the verdict rows of <c>fuzzfarm check</c> beside its base. Loopback callers only, one check
/// at a time, the text size-limited, every value HTML-encoded.
/// </summary>
public static class CheckPage
{
    /// <summary>Largest text the page takes (a whole mmu.c is about 60 KB).</summary>
    public const int MaxTextBytes = 256 * 1024;

    /// <summary>The page's budget: smaller than the command's, the request waits for it.</summary>
    public static readonly VerdictBudget Budget = new() { Executions = 5_000, Depth = 3, MaxStates = 200_000 };

    public const long DiscoverExecutions = 10_000;

    public const int MaxSeconds = 30;

    /// <summary>The form, with the text and base given (after an error: kept), and an error line.</summary>
    public static string Form(string text = "", string baseId = "realm-v2", string? error = null) =>
        Page("Check a version", "<div class=\"breadcrumb\"><a href=\"/\">Dashboard</a> / check</div>\n" + FormSection(text, baseId, error));

    private static string FormSection(string text, string baseId, string? error)
    {
        var o = new StringBuilder();
        o.Append("<section class=\"card\"><h1>Check a version</h1>\n")
            .Append("<p>Paste the C text of <code>split_kernel_leaf_mapping()</code> (a whole <code>mmu.c</code>, or the function and what it reads) ")
            .Append("or a unified diff against the base's C text. It is compiled by the kernel-C front end and run on the model; the answer is the ")
            .Append($"verdict rows beside the base (the zoo corpus, the campaign's root causes and a discovery fuzz; the base's column without the explorer; at most {MaxSeconds} s). ")
            .Append($"Up to {MaxTextBytes / 1024} KiB; the names it may use: <code>fuzzfarm bindings</code>.</p>\n");
        if (error is not null) o.Append("<p class=\"error\" id=\"check-error\">").Append(E(error)).Append("</p>\n");
        o.Append("<form method=\"post\" action=\"/check\" id=\"check-form\">\n")
            .Append("<label for=\"base\">Base version</label> <select name=\"base\" id=\"base\">\n");
        foreach (var v in VariantCatalog.All)
        {
            o.Append("<option value=\"").Append(E(v.Id)).Append('"').Append(v.Id == baseId ? " selected" : "").Append('>')
                .Append(E(v.Id)).Append(v.Letter.Length > 0 ? $" ({E(v.Letter)})" : "").Append("</option>\n");
        }

        o.Append("</select>\n<textarea name=\"text\" id=\"text\" rows=\"24\" cols=\"100\" spellcheck=\"false\">").Append(E(text)).Append("</textarea>\n")
            .Append("<button type=\"submit\">Check</button>\n</form>\n</section>\n");
        return o.ToString();
    }

    /// <summary>The zoo corpus the page's rows start from (embedded: a silo has no source tree).</summary>
    public static IEnumerable<(string Name, EventProgram Program)> Corpus()
    {
        var assembly = typeof(CheckPage).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("corpus/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var name = resource["corpus/".Length..^".trace".Length];
            yield return (name, TraceParser.Parse(reader.ReadToEnd(), name));
        }
    }

    /// <summary>
    /// Compiles and checks <paramref name="text"/> on <paramref name="baseVersion"/>; <paramref name="extra"/>: more
    /// reproducers (the campaign's). Throws <see cref="KernelCException"/> for a text the front end refuses.
    /// </summary>
    public static string Run(string text, SplitVariant baseVersion, IEnumerable<(string Name, EventProgram Program)> extra, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(baseVersion);
        var source = VersionSource.From("pasted", text, baseVersion);
        var version = VersionSource.Compile(source, "yours", baseVersion);
        var causes = VersionCheck.RootCauses(Corpus().Concat(extra), id => VariantCatalog.TryGet(id, out var v) ? v : baseVersion,
            VariantCatalog.All, out var sources);
        // The discovery fuzz gets a third of the time at most, so the cells get the rest.
        using (var discovery = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            discovery.CancelAfter(TimeSpan.FromSeconds(MaxSeconds / 3.0));
            VersionCheck.DiscoverInto(version, causes, sources, null, DiscoverExecutions, discovery.Token);
        }

        // The base's column: its reproducers and the aimed fuzz (the explorer is for your column; the CLI runs both).
        var rows = VersionCheck.Rows(causes, baseVersion, version, Budget with { Cancel = cancel }, Budget with { Cancel = cancel, Depth = 0 });
        return Result(text, baseVersion, version, rows, sources);
    }

    private static string Result(string text, SplitVariant baseVersion, CVariant version, IReadOnlyList<VerdictRow> rows, Dictionary<string, List<string>> sources)
    {
        var (worse, undecided) = VersionCheck.Decide(rows, baseVersion, version, strictOnly: false);
        var o = new StringBuilder();
        o.Append("<div class=\"breadcrumb\"><a href=\"/\">Dashboard</a> / <a href=\"/check\">check</a></div>\n<section class=\"card\"><h1>Your version on ")
            .Append(E(baseVersion.Id)).Append("</h1>\n");
        o.Append("<p id=\"check-verdict\" class=\"").Append(worse.Count == 0 ? "ok" : "error").Append("\">")
            .Append(worse.Count == 0
                ? $"No hazard your version has that {E(baseVersion.Id)} lacks."
                : $"Hazard(s) {E(baseVersion.Id)} lacks: {string.Join(", ", worse.Select(r => $"<code>{E(r.Key)}</code>"))}.")
            .Append("</p>\n");
        if (undecided.Count > 0)
        {
            o.Append("<p class=\"note\" id=\"check-undecided\">Undecided (the deadline cut ").Append(E(baseVersion.Id)).Append("'s search short): ")
                .Append(string.Join(", ", undecided.Select(r => $"<code>{E(r.Key)}</code>"))).Append(".</p>\n");
        }

        foreach (var note in version.Notes) o.Append("<p class=\"note\">").Append(E(note)).Append("</p>\n");
        o.Append("<table id=\"check-rows\">\n<thead><tr><th>root cause</th><th>kind</th><th>").Append(E(baseVersion.Id))
            .Append("</th><th>yours</th><th>reproducer</th></tr></thead>\n<tbody>\n");
        foreach (var r in rows.OrderBy(r => r.Kind == "hazard" ? 0 : 1))
        {
            o.Append("<tr><td><code>").Append(E(r.Key)).Append("</code><br><small>").Append(E(r.Title)).Append("</small></td><td>").Append(E(r.Kind)).Append("</td>");
            foreach (var id in new[] { baseVersion.Id, version.Id })
            {
                var cell = r.Cell(id);
                o.Append("<td class=\"cell\" title=\"").Append(E(cell?.Text)).Append("\">").Append(E(cell?.Short)).Append("</td>");
            }

            o.Append("<td>").Append(E(string.Join(", ", sources.GetValueOrDefault(r.Key) ?? []))).Append("</td></tr>\n");
        }

        o.Append("</tbody></table>\n");
        foreach (var r in rows.Where(r => r.Cell(version.Id) is { Shows: true, Trace: not null }).OrderBy(r => r.Kind == "hazard" ? 0 : 1).Take(20))
        {
            o.Append("<details><summary>Trace of <code>").Append(E(r.Key)).Append("</code> on yours</summary><pre class=\"trace\">")
                .Append(E(r.Cell(version.Id)!.Trace)).Append("</pre></details>\n");
        }

        o.Append("<p>✘ strict: the kernel's own callers; ✘ adv: needs assumptions; ✓ ≤k: proved absent to depth k on the reproducers' machines; ")
            .Append($"– N: not found in N execs. The same check from a terminal: <code>fuzzfarm check FILE --base {E(baseVersion.Id)}</code>.</p>\n</section>\n");
        o.Append(FormSection(text, baseVersion.Id, null));
        return Page("Check result", o.ToString());
    }
}
