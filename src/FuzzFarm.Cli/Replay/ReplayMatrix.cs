using FuzzFarm.Engine;
using System.Text.Json;
using FuzzFarm.Model;

namespace FuzzFarm.Cli.Replay;

/// <summary>One trace of a folder replay: its environment and each variant's result.</summary>
internal sealed record TraceResults(string Name, string Path, EnvMode Env, IReadOnlyList<VariantReplay> Results);

/// <summary>
/// <c>fuzzfarm replay FOLDER</c>: every trace in the folder on every selected variant, printed as a compact
/// matrix (which invariants each variant breaks on each trace) instead of per-run timelines.
/// </summary>
internal static class ReplayMatrix
{
    public static IReadOnlyList<TraceResults> Run(string folder, string? variantSelection, EnvMode? envOverride)
    {
        var files = Directory.GetFiles(folder, "*.trace").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new UsageException($"{folder}: no .trace files in this folder");
        var results = new List<TraceResults>();
        foreach (var file in files)
        {
            var program = TraceLoader.Load(file);
            var env = envOverride ?? program.Env ?? Commands.CommonOptions.DefaultEnv;
            var variants = TraceLoader.SelectVariants(variantSelection ?? program.Variant ?? "all");
            var runs = variants.Select(v => FuzzFarm.Host.BoundedReplay.Run(program, v, env, timelineLimit: 0).Replay).ToList();
            results.Add(new TraceResults(System.IO.Path.GetFileNameWithoutExtension(file), file, env, runs));
        }

        return results;
    }

    public static void WriteText(TextWriter o, string folder, IReadOnlyList<TraceResults> traces)
    {
        o.WriteLine($"replayed {traces.Count} traces from {folder}");
        foreach (var t in traces)
        {
            o.WriteLine();
            o.WriteLine($"== {t.Name} ({ReplayText.EnvName(t.Env)})");
            foreach (var r in t.Results)
            {
                var ids = r.Reported.Select(v => v.Id).Distinct().ToList();
                var masked = r.Masked.Select(v => v.Id).Distinct().Except(ids).ToList();
                var cell = ids.Count == 0 ? "clean" : string.Join(" ", ids);
                if (masked.Count > 0) cell += $"   (masked in strict: {string.Join(" ", masked)})";
                o.WriteLine($"   {r.Variant.Id,-22} {cell}");
            }
        }
    }

    public static void WriteJson(TextWriter o, IReadOnlyList<TraceResults> traces)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var t in traces)
            {
                w.WriteStartObject();
                w.WriteString("trace", t.Path);
                w.WriteString("env", ReplayText.EnvName(t.Env));
                w.WriteStartObject("variants");
                foreach (var r in t.Results)
                {
                    w.WriteStartArray(r.Variant.Id);
                    foreach (var id in r.Reported.Select(v => v.Id).Distinct()) w.WriteStringValue(id);
                    w.WriteEndArray();
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        o.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
