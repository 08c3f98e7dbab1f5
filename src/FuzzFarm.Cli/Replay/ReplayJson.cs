using FuzzFarm.Engine;
using System.Text.Json;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Cli.Replay;

/// <summary>The machine-readable replay report (one JSON document on stdout).</summary>
internal static class ReplayJson
{
    public static void Write(
        TextWriter o, string path, EventProgram program, EnvMode env, IEnumerable<(VariantReplay Replay, long Dropped)> results, bool timeline)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("trace", path);
            w.WriteString("machine", TraceWriter.FormatMachine(program.Machine));
            w.WriteString("config_hash", $"{program.Machine.ConfigHash:x16}");
            w.WriteNumber("format_revision", program.FormatRevision);
            w.WriteString("env", ReplayText.EnvName(env));
            w.WriteNumber("events", program.Events.Length);
            w.WriteStartArray("variants");
            foreach (var (r, dropped) in results) WriteVariant(w, r, timeline, dropped);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        o.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteVariant(Utf8JsonWriter w, VariantReplay r, bool timeline, long dropped)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Variant.Id);
        w.WriteString("verdict", r.Verdict);
        w.WriteStartArray("violations");
        foreach (var v in r.Violations)
        {
            w.WriteStartObject();
            w.WriteString("id", v.Id);
            w.WriteString("title", v.Title);
            w.WriteString("kind", Invariants.Kind(v.Invariant) == FindingKind.Warning ? "warning" : "bug");
            w.WriteNumber("event", v.EventIndex);
            w.WriteString("where", Points.Name(v.Where));
            w.WriteString("detail", v.Detail);
            w.WriteNumber("task", v.TaskLabel);
            w.WriteNumber("cpu", v.Cpu);
            w.WriteStartArray("assumptions");
            foreach (var a in AssumptionNames.Names(v.Assumptions)) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteBoolean("reported", v.ReportedIn(r.Env));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("skipped_events", r.Summary.SkippedEvents);
        w.WriteNumber("live_resizes", r.LiveResizes);
        w.WriteNumber("table_pages", r.TablePages);
        FragmentationJson.Write(w, r.Fragmentation);
        FragmentationJson.WriteSteps(w, r.FragmentationByEvent);
        if (timeline)
        {
            w.WriteStartArray("timeline");
            foreach (var e in r.Timeline)
            {
                w.WriteStartObject();
                w.WriteNumber("event", e.Event);
                w.WriteNumber("cpu", e.Cpu);
                w.WriteString("text", e.Text);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("timeline_dropped", dropped);
        }

        w.WriteEndObject();
    }
}
