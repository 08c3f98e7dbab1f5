using System.CommandLine;
using System.Text.Json;
using FuzzFarm.Cli.Replay;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm matrix DIR|TRACE [--env strict|adversarial] [--json]</c>: replays each finding on every variant
/// and says, per broken invariant, where it reproduces and which version introduced and fixed it.
/// </summary>
internal static class MatrixCommand
{
    public static Command Create(TextWriter stdout)
    {
        var target = new Argument<string>("DIR|TRACE") { Description = "A .trace file or a folder of them (for example a fuzz --out folder)" };
        var env = CommonOptions.TraceEnv();
        var json = new JsonOut("the matrix");
        var command = new Command("matrix", "Variant matrix of findings: where each reproduces, introduced in / fixed in") { target, env };
        foreach (var o in json.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(target);
            var files = Directory.Exists(path)
                ? Directory.GetFiles(path, "*.trace").Order(StringComparer.Ordinal).ToArray()
                : [path];
            if (files.Length == 0) throw new UsageException($"{path}: no .trace files");
            var rows = new List<(string File, MatrixRow Row)>();
            foreach (var file in files)
            {
                var program = TraceLoader.Load(file);
                var envMode = CommonOptions.ParseEnv(parse.GetValue(env), program.Env ?? CommonOptions.DefaultEnv);
                foreach (var invariant in BrokenInvariants(program, envMode))
                    rows.Add((file, VariantMatrix.Row(program.Machine, program.Events.AsSpan(), invariant, envMode, VariantCatalog.All)));
            }

            if (!json.ToStdout(parse)) WriteText(stdout, rows);
            json.Emit(parse, stdout, w => WriteJson(w, rows));
            return rows.Count > 0 ? ExitCodes.Violation : ExitCodes.Clean;
        });
        return command;
    }

    /// <summary>The invariants the trace breaks on its own variant, or on any variant when it names none.</summary>
    private static IEnumerable<Invariant> BrokenInvariants(EventProgram program, EnvMode env)
    {
        var variants = program.Variant is { } id ? [CommonOptions.Variant(id)] : VariantCatalog.All;
        var set = new SortedSet<Invariant>();
        foreach (var v in variants)
        {
            var m = new Machine(program.Machine, v);
            m.Run(program.Events.AsSpan());
            foreach (var violation in m.Violations)
            {
                if (violation.ReportedIn(env)) set.Add(violation.Invariant);
            }
        }

        return set;
    }

    private static void WriteText(TextWriter w, List<(string File, MatrixRow Row)> rows)
    {
        var ids = VariantCatalog.Ids.ToList();
        var fileWidth = Math.Max(5, rows.Count == 0 ? 0 : rows.Max(r => Path.GetFileName(r.File).Length));
        var invWidth = Math.Max(9, rows.Count == 0 ? 0 : rows.Max(r => Invariants.Id(r.Row.Invariant).Length));
        w.Write("trace".PadRight(fileWidth + 2) + "invariant".PadRight(invWidth + 2));
        foreach (var id in ids) w.Write(id.PadRight(id.Length + 2));
        w.WriteLine("introduced in / fixed in");
        foreach (var (file, row) in rows)
        {
            w.Write(Path.GetFileName(file).PadRight(fileWidth + 2) + Invariants.Id(row.Invariant).PadRight(invWidth + 2));
            foreach (var id in ids) w.Write((row.ReproducesOn(id) ? "yes" : "·").PadRight(id.Length + 2));
            w.WriteLine($"{row.IntroducedIn ?? "-"} / {row.FixedIn ?? "not fixed"}");
        }

        if (rows.Count == 0) w.WriteLine("(no trace breaks an invariant)");
    }

    private static void WriteJson(TextWriter w, List<(string File, MatrixRow Row)> rows)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartArray();
            foreach (var (file, row) in rows)
            {
                j.WriteStartObject();
                j.WriteString("trace", file);
                j.WriteString("invariant", Invariants.Id(row.Invariant));
                j.WriteStartObject("reproduces");
                foreach (var c in row.Cells) j.WriteBoolean(c.Variant, c.Reproduces);
                j.WriteEndObject();
                if (row.IntroducedIn is null) j.WriteNull("introduced_in");
                else j.WriteString("introduced_in", row.IntroducedIn);
                if (row.FixedIn is null) j.WriteNull("fixed_in");
                else j.WriteString("fixed_in", row.FixedIn);
                j.WriteEndObject();
            }

            j.WriteEndArray();
        }

        w.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
    }
}
