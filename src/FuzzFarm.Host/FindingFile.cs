using System.Text.Json;
using FuzzFarm.Engine;
using FuzzFarm.Farm;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Host;

/// <summary>
/// The finding files of the local mode (<see cref="FileFindingSink"/>): <c>KEY.trace</c> and <c>KEY.json</c>, read
/// back into a <see cref="FindingRecord"/> (for reports made without FuzzFarm running).
/// </summary>
public static class FindingFile
{
    /// <summary>The file name (without extension) of a signature key: characters unsafe in a file name become '_'.</summary>
    public static string Name(string signatureKey)
    {
        ArgumentNullException.ThrowIfNull(signatureKey);
        return string.Concat(signatureKey.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '\'' ? c : '_'));
    }

    /// <summary>
    /// Reads a finding from <c>KEY.json</c> or <c>KEY.trace</c> (or their common path without extension). The trace
    /// file is required; without the JSON beside it, the record is derived from the trace alone (see
    /// <see cref="FromTrace"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no trace file.</exception>
    /// <exception cref="FormatException">The JSON or the trace cannot be read (the message names the file).</exception>
    public static FindingRecord Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stem = path.EndsWith(".json", StringComparison.Ordinal) ? path[..^5]
            : path.EndsWith(".trace", StringComparison.Ordinal) ? path[..^6]
            : path;
        var tracePath = stem + ".trace";
        var jsonPath = stem + ".json";
        if (!File.Exists(tracePath)) throw new FileNotFoundException($"{tracePath}: no such file (a finding is KEY.trace, with KEY.json beside it)", tracePath);
        var trace = File.ReadAllText(tracePath);
        if (!File.Exists(jsonPath)) return FromTrace(trace, tracePath);
        try
        {
            return FromJson(File.ReadAllText(jsonPath), trace);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new FormatException($"{jsonPath}: not a finding file: {e.Message}", e);
        }
    }

    /// <summary>A record from the JSON <see cref="FileFindingSink"/> writes, with <paramref name="trace"/> as its reproducer.</summary>
    public static FindingRecord FromJson(string json, string trace)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        return new FindingRecord
        {
            SignatureKey = root.GetProperty("key").GetString() ?? "",
            Title = Text(root, "title"),
            Variant = Text(root, "variant"),
            Invariant = Text(root, "invariant"),
            Where = Text(root, "where"),
            Detail = Text(root, "detail"),
            Env = Text(root, "env"),
            // The farm writes assumptions as one string, `fuzzfarm fuzz` as a list.
            Assumptions = root.TryGetProperty("assumptions", out var a) && a.ValueKind == JsonValueKind.Array
                ? string.Join(",", List(root, "assumptions"))
                : Text(root, "assumptions"),
            SmallestTrace = trace,
            SmallestEvents = root.TryGetProperty("events", out var events) ? events.GetInt32() : 0,
            FirstSeen = root.TryGetProperty("first_seen", out var first) ? first.GetDateTimeOffset() : default,
            LastSeen = root.TryGetProperty("last_seen", out var last) ? last.GetDateTimeOffset() : default,
            Hits = root.TryGetProperty("hits", out var hits) ? hits.GetInt64() : 0,
            Machines = List(root, "machines"),
            Variants = List(root, "variants"),
            FirstReport = Text(root, "first_report"),
            Reproduces = List(root, "reproduces"),
            Callers = List(root, "callers"),
            VersionAssumptions = root.TryGetProperty("version_assumptions", out var va) && va.ValueKind == JsonValueKind.Object
                ? va.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                : [],
        };
    }

    /// <summary>
    /// A record from a trace alone: replayed on the variant its header names, in its env (adversarial when it names
    /// none); the first violation reported is the finding. No times, hits or machines.
    /// </summary>
    /// <exception cref="FormatException">The trace does not parse, names no known variant, or breaks nothing.</exception>
    public static FindingRecord FromTrace(string trace, string fileName)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var program = TraceParser.Parse(trace, fileName);
        if (program.Variant is not { } id || !VariantCatalog.TryGet(id, out var variant))
            throw new FormatException($"{fileName}: the trace names no known variant (a 'variant' line), and there is no JSON beside it");
        var env = program.Env ?? EnvMode.Adversarial;
        var machine = new Machine(program.Machine, variant);
        machine.Run(program.Events.AsSpan());
        foreach (var v in machine.Violations)
        {
            if (!v.ReportedIn(env)) continue;
            var signature = Signature.Of(variant.Id, v);
            return new FindingRecord
            {
                SignatureKey = signature.Key, Title = signature.Title, Variant = variant.Id, Invariant = v.Id,
                Where = Points.Name(v.Where), Detail = v.Detail, Env = env == EnvMode.Strict ? "strict" : "adversarial",
                Assumptions = AssumptionNames.Format(v.Assumptions), SmallestTrace = trace, SmallestEvents = program.Events.Length,
                Variants = [variant.Id],
            };
        }

        throw new FormatException($"{fileName}: the trace breaks no invariant on {variant.Id}");
    }

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() ?? "" : "";

    private static List<string> List(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Array
            ? [.. p.EnumerateArray().Select(e => e.GetString() ?? "")]
            : [];
}
