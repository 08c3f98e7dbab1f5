using System.Text;
using System.Text.Json;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Cli.Findings;

/// <summary>
/// Writes a finding as files usable without FuzzFarm: <c>KEY.trace</c> (replayable with <c>fuzzfarm replay</c>)
/// and <c>KEY.json</c> (signature, title, violation, machine, matrix row). KEY is the signature's key, so a
/// finding found again overwrites itself instead of piling up.
/// </summary>
public static class FindingFiles
{
    public static (string Trace, string Json) Write(string directory, Finding finding, MatrixRow? matrix)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(finding);
        Directory.CreateDirectory(directory);
        var key = finding.Signature.Key;
        var trace = Path.Combine(directory, key + ".trace");
        var json = Path.Combine(directory, key + ".json");
        WriteAtomically(trace, finding.TraceText);
        WriteAtomically(json, Json(finding, matrix));
        return (trace, json);
    }

    /// <summary>The JSON record of a finding (also what <c>--json</c> outputs embed).</summary>
    public static string Json(Finding finding, MatrixRow? matrix)
    {
        ArgumentNullException.ThrowIfNull(finding);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            WriteJson(w, finding, matrix);
        }

        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    public static void WriteJson(Utf8JsonWriter w, Finding finding, MatrixRow? matrix)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(finding);
        var s = finding.Signature;
        var v = finding.Violation;
        w.WriteStartObject();
        w.WriteString("key", s.Key);
        w.WriteString("title", finding.Title);
        w.WriteString("variant", s.Variant);
        w.WriteString("invariant", Invariants.Id(s.Invariant));
        w.WriteString("kind", Invariants.Kind(s.Invariant) == FindingKind.Bug ? "bug" : "warning");
        w.WriteString("where", Points.Name(s.Where));
        w.WriteString("detail", s.Detail);
        w.WriteString("env", finding.Program.Env == EnvMode.Strict ? "strict" : "adversarial");
        w.WriteStartArray("assumptions");
        foreach (var a in AssumptionNames.Names(v.Assumptions)) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteNumber("event_index", v.EventIndex);
        w.WriteNumber("cpu", v.Cpu);
        w.WriteNumber("task", v.TaskLabel);
        w.WriteString("machine", TraceWriter.FormatMachine(finding.Program.Machine));
        w.WriteString("config_hash", $"{finding.Program.Machine.ConfigHash:x16}");
        if (finding.Program.Seed is { } seed) w.WriteNumber("seed", seed);
        w.WriteNumber("format_revision", finding.Program.FormatRevision);
        w.WriteNumber("events", finding.Program.Events.Length);
        w.WriteNumber("minimized_from", finding.OriginalEvents);
        w.WriteNumber("found_at_execution", finding.FoundAtExecution);
        w.WriteString("trace", finding.TraceText);
        if (matrix is not null)
        {
            w.WriteStartObject("matrix");
            foreach (var c in matrix.Cells) w.WriteBoolean(c.Variant, c.Reproduces);
            w.WriteEndObject();
            WriteNullable(w, "introduced_in", matrix.IntroducedIn);
            WriteNullable(w, "fixed_in", matrix.FixedIn);
        }

        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    private static void WriteAtomically(string path, string text) => FuzzFarm.Host.AtomicFile.Write(path, text);
}
