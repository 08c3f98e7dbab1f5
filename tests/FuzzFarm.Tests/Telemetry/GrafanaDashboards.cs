using System.Text.Json;
using System.Text.RegularExpressions;

namespace FuzzFarm.Tests.Telemetry;

/// <summary>A panel of a dashboard (rows' nested panels included); <see cref="Type"/> "row" is a container.</summary>
internal sealed record GrafanaPanel(string Dashboard, string Title, string Type, string? DatasourceType, string? DatasourceUid, IReadOnlyList<GrafanaTarget> Targets)
{
    public bool IsRow => Type == "row";

    public override string ToString() => $"{Dashboard} / panel '{Title}'";
}

/// <summary>A panel's query; <see cref="Expr"/> is null when the target has none.</summary>
internal sealed record GrafanaTarget(string RefId, string? Expr, string? DatasourceUid);

/// <summary>A template variable: its name, type and query (e.g. <c>label_values(metric, label)</c>).</summary>
internal sealed record GrafanaVariable(string Name, string Type, string? Query);

/// <summary>One dashboard JSON file as the tests read it.</summary>
internal sealed record GrafanaDashboard(string File, string? Uid, string? Title, IReadOnlyList<GrafanaPanel> Panels, IReadOnlyList<GrafanaVariable> Variables)
{
    public override string ToString() => Path.GetFileName(File);
}

/// <summary>
/// The dashboards in the repository's <c>dashboards/</c> folder (copied next to the tests by the project file), and
/// Grafana's variable substitution, so that the PromQL a panel sends can be sent to Prometheus as Grafana would.
/// </summary>
internal static partial class GrafanaDashboards
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "dashboards");

    public static IReadOnlyList<GrafanaDashboard> Load() =>
        [.. Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal).Select(Read)];

    public static GrafanaDashboard Read(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var root = doc.RootElement;
        var name = Path.GetFileName(file);
        var panels = new List<GrafanaPanel>();
        if (root.TryGetProperty("panels", out var top)) Walk(name, top, panels);
        var variables = root.TryGetProperty("templating", out var t) && t.TryGetProperty("list", out var list)
            ? list.EnumerateArray().Select(v => new GrafanaVariable(Text(v, "name") ?? "", Text(v, "type") ?? "", VariableQuery(v))).ToList()
            : [];
        return new GrafanaDashboard(file, Text(root, "uid"), Text(root, "title"), panels, variables);
    }

    /// <summary>
    /// <paramref name="expr"/> with Grafana's variables (<c>$name</c>, <c>${name}</c>, <c>${name:format}</c>,
    /// <c>[[name]]</c>) replaced from <paramref name="values"/>; a variable not there is named in <paramref name="unknown"/>.
    /// </summary>
    public static string Substitute(string expr, IReadOnlyDictionary<string, string> values, out IReadOnlyList<string> unknown)
    {
        var missing = new List<string>();
        var result = Variable().Replace(expr, m =>
        {
            var name = new[] { m.Groups["braced"], m.Groups["plain"], m.Groups["old"] }.First(g => g.Success).Value;
            if (values.TryGetValue(name, out var value)) return value;
            missing.Add(name);
            return m.Value;
        });
        unknown = missing;
        return result;
    }

    /// <summary>The (metric, label) of a <c>label_values(metric, label)</c> variable query, else null.</summary>
    public static (string Metric, string Label)? LabelValues(string? query) =>
        query is not null && LabelValuesQuery().Match(query) is { Success: true } m ? (m.Groups[1].Value.Trim(), m.Groups[2].Value) : null;

    private static void Walk(string dashboard, JsonElement panels, List<GrafanaPanel> into)
    {
        foreach (var p in panels.EnumerateArray())
        {
            var ds = p.TryGetProperty("datasource", out var d) && d.ValueKind == JsonValueKind.Object ? d : (JsonElement?)null;
            var targets = p.TryGetProperty("targets", out var ts) && ts.ValueKind == JsonValueKind.Array
                ? ts.EnumerateArray().Select(x => new GrafanaTarget(
                    Text(x, "refId") ?? "?", Text(x, "expr"),
                    x.TryGetProperty("datasource", out var td) && td.ValueKind == JsonValueKind.Object ? Text(td, "uid") : null)).ToList()
                : [];
            into.Add(new GrafanaPanel(dashboard, Text(p, "title") ?? "(untitled)", Text(p, "type") ?? "?",
                ds is { } a ? Text(a, "type") : null, ds is { } b ? Text(b, "uid") : null, targets));
            // A collapsed row holds its panels inside itself; an open row's panels follow it at the top level.
            if (p.TryGetProperty("panels", out var nested) && nested.ValueKind == JsonValueKind.Array) Walk(dashboard, nested, into);
        }
    }

    private static string? VariableQuery(JsonElement variable)
    {
        if (!variable.TryGetProperty("query", out var q)) return Text(variable, "definition");
        return q.ValueKind == JsonValueKind.Object ? Text(q, "query") : q.ValueKind == JsonValueKind.String ? q.GetString() : null;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    [GeneratedRegex(@"\$\{(?<braced>\w+)(?::[^}]*)?\}|\$(?<plain>\w+)|\[\[(?<old>\w+)\]\]")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^\s*label_values\(\s*([^,]+),\s*(\w+)\s*\)\s*$")]
    private static partial Regex LabelValuesQuery();
}
