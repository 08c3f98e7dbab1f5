using System.CommandLine;
using System.Text.Json;
using FuzzFarm.Cli.Replay;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm verdicts DIR|TRACE [--execs N] [--depth K] [--json]</c>: one table, root causes × versions. Each cell
/// is the reproducer replayed, or where it does not show the root cause a bounded search aimed at its invariant
/// (fuzzing seeded with the reproducer, then the explorer): ✘ with the weakest environment, "proved absent to
/// depth k", or "not found in N execs". Hazards, expected refusals and the canary in sections of their own.
/// </summary>
internal static class VerdictsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var target = new Argument<string>("DIR|TRACE") { Description = "A findings folder (run's --data DIR/findings, fuzz --out) or one .trace" };
        var execs = new Option<long>("--execs") { Description = "Fuzzing executions per cell the reproducer does not show (0: none)", DefaultValueFactory = _ => 20_000 };
        var depth = new Option<int>("--depth") { Description = "Explorer depth per such cell (0: no exploration)", DefaultValueFactory = _ => 4 };
        var maxStates = new Option<long>("--max-states") { Description = "The explorer gives up after this many states per cell", DefaultValueFactory = _ => 200_000 };
        var versions = new Option<string?>("--versions") { Description = "Comma-separated version ids (default: every version)" };
        var json = new JsonOut("the table");
        var command = new Command("verdicts", "Verdict table: root causes × versions, each cell reproduced, proved absent to depth k, or not found in N execs")
        {
            target, execs, depth, maxStates, versions,
        };
        foreach (var o in json.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            using var stop = StopSignal.Listen(stderr, "finishing the cells in progress; the rest say \"not searched\"; then the table");
            var budget = new VerdictBudget
            {
                Executions = parse.GetValue(execs), Depth = parse.GetValue(depth), MaxStates = parse.GetValue(maxStates), Cancel = stop.Token,
            };
            if (budget.Executions < 0) throw new UsageException("--execs must be 0 or more");
            if (budget.Depth is < 0 or > 16) throw new UsageException("--depth must be 0..16");
            if (budget.MaxStates < 1) throw new UsageException("--max-states must be positive");
            var list = parse.GetValue(versions) is { } ids
                ? ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(id => VariantCatalog.TryGet(id, out var v) ? v
                        : throw new UsageException($"--versions: unknown version '{id}' (known: {string.Join(", ", VariantCatalog.Ids)})")).ToList()
                : [.. VariantCatalog.All];
            if (list.Count == 0) throw new UsageException("--versions names no version");
            var path = parse.GetRequiredValue(target);
            var files = Directory.Exists(path) ? Directory.GetFiles(path, "*.trace").Order(StringComparer.Ordinal).ToArray()
                : File.Exists(path) ? [path] : throw new UsageException($"{path}: no such file or folder");
            if (files.Length == 0) throw new UsageException($"{path}: no .trace files");

            var causes = RootCauses(files, out var sources);
            var rows = new VerdictRow[causes.Count];
            Parallel.For(0, causes.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                i => rows[i] = Verdicts.Row(causes[i].Programs, causes[i].Cause, list, budget));
            if (!json.ToStdout(parse)) WriteText(stdout, rows, list, budget, sources);
            json.Emit(parse, stdout, w => WriteJson(w, rows, list, budget));
            return ExitCodes.Clean;
        });
        return command;
    }

    /// <summary>
    /// Each trace's root cause (on its own variant; a trace that names none: on each version that shows one), once
    /// per key, with every trace that reproduces it (a cell shows it when one does; searches run on each machine).
    /// </summary>
    internal static List<(List<EventProgram> Programs, Signature Cause)> RootCauses(string[] files) => RootCauses(files, out _);

    /// <summary>As <see cref="RootCauses(string[])"/>, with the trace files (names without .trace) each key came from.</summary>
    internal static List<(List<EventProgram> Programs, Signature Cause)> RootCauses(string[] files, out Dictionary<string, List<string>> sources) =>
        VersionCheck.RootCauses(files.Select(f => (Path.GetFileNameWithoutExtension(f), TraceLoader.Load(f))),
            id => CommonOptions.Variant(id), VariantCatalog.All, out sources);

    private static readonly (string Kind, string Title)[] _sections =
    [
        ("hazard", "hazards"),
        ("refusal", "expected refusals (blackout -EBUSY with its WARN)"),
        ("canary", "the canary only (a deliberately broken copy of realm-v2)"),
    ];

    internal static void WriteText(TextWriter o, IReadOnlyList<VerdictRow> rows, IReadOnlyList<SplitVariant> versions, VerdictBudget budget,
        IReadOnlyDictionary<string, List<string>>? sources = null)
    {
        o.WriteLine($"verdicts: {rows.Count} root cause(s) × {versions.Count} version(s); a cell its reproducer does not show is searched: " +
            $"{budget.Executions:N0} execs of fuzzing aimed at its invariant, then the explorer to depth {budget.Depth}");
        const int keyWidth = 34, cellWidth = 9;
        foreach (var (kind, title) in _sections)
        {
            var members = rows.Where(r => r.Kind == kind).ToList();
            if (members.Count == 0) continue;
            o.WriteLine();
            o.WriteLine($"{title} ({members.Count}):");
            o.WriteLine($"  {"root cause",-keyWidth}" + string.Concat(versions.Select(v => $" {Column(v),-cellWidth}")));
            foreach (var r in members)
            {
                o.WriteLine($"  {r.Key,-keyWidth}" + string.Concat(versions.Select(v => $" {r.Cell(v.Id)?.Short ?? "",-cellWidth}")));
                o.WriteLine($"    {r.Title}");
                if (sources?.GetValueOrDefault(r.Key) is { Count: > 0 } from) o.WriteLine($"    reproducer: {string.Join(", ", from)}");
                if (r.History.Count > 0) o.WriteLine($"    history: {string.Join("; ", r.History)}");
            }
        }

        o.WriteLine();
        o.WriteLine("✘ strict: reproduces with the kernel's own callers; ✘ adv: needs environment assumptions (--json names them);");
        o.WriteLine("✓ ≤k: proved absent to depth k on the reproducers' machines (no program of the explorer's alphabet breaks the");
        o.WriteLine("invariant there); – N: not found in N execs; ?: not searched (a signal stopped the command).");
        o.WriteLine("A cell is about those machines: a version can still show it elsewhere.");
    }

    private static string Column(SplitVariant v) => v.Letter.Length > 0 ? v.Letter : v.Id.Length <= 9 ? v.Id : v.Id[..9];

    internal static void WriteJson(TextWriter o, IReadOnlyList<VerdictRow> rows, IReadOnlyList<SplitVariant> versions, VerdictBudget budget)
    {
        var doc = new
        {
            versions = versions.Select(v => new { id = v.Id, letter = v.Letter, parent = v.Parent, provenance = v.Provenance }),
            budget = new { executions = budget.Executions, depth = budget.Depth, max_states = budget.MaxStates },
            rows = rows.Select(r => new
            {
                key = r.Key,
                title = r.Title,
                invariant = Invariants.Id(r.Invariant),
                kind = r.Kind,
                history = r.History,
                cells = r.Cells.Select(c => new
                {
                    version = c.Version,
                    verdict = c.Kind switch
                    {
                        VerdictKind.Reproduces => "reproduces",
                        VerdictKind.Found => "found",
                        VerdictKind.ProvedAbsent => "proved_absent",
                        VerdictKind.NotSearched => "not_searched",
                        _ => "not_found",
                    },
                    text = c.Text,
                    assumptions = c.Shows ? AssumptionNames.Format(c.Assumptions) : null,
                    executions = c.Executions,
                    depth = c.Depth,
                    note = c.Note,
                    trace = c.Trace,
                }),
            }),
        };
        o.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }
}
