using System.CommandLine;
using System.Diagnostics;
using FuzzFarm.Engine;
using FuzzFarm.KernelC;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm check INPUT [--base VERSION] [--max-seconds N] [--json]</c>: the C text of split_kernel_leaf_mapping()
/// compiled to a version and run on the model, no rebuild; its verdict column beside its base's. Exit 0 when it shows
/// no hazard its base lacks, 1 when it does, 2 on bad input (one line: file:line:col).
/// </summary>
internal static class CheckCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var input = new Argument<string>("INPUT") { Description = "A C file holding split_kernel_leaf_mapping(), or - for stdin" };
        var baseOpt = new Option<string?>("--base") { Description = "The shipped version the text changes (its column beside yours; what your text does not define)" };
        var corpus = new Option<string>("--corpus") { Description = "Reproducers whose root causes make the rows", DefaultValueFactory = _ => "tests/corpus" };
        var maxSeconds = new Option<int>("--max-seconds") { Description = "One deadline for all cells; cells after it say \"not searched\"", DefaultValueFactory = _ => 60 };
        var execs = new Option<long>("--execs") { Description = "Fuzzing executions per cell the reproducer does not show", DefaultValueFactory = _ => 20_000 };
        var depth = new Option<int>("--depth") { Description = "Explorer depth per such cell", DefaultValueFactory = _ => 4 };
        var json = new JsonOut("the table");
        var command = new Command("check", "Compile the C text of split_kernel_leaf_mapping() and give its verdict column beside its base's")
        {
            input, baseOpt, corpus, maxSeconds, execs, depth,
        };
        foreach (var o in json.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(input);
            SplitVariant? baseVersion = parse.GetValue(baseOpt) is { } b
                ? VariantCatalog.TryGet(b, out var bv) ? bv : throw new UsageException($"--base: unknown version '{b}' (known: {string.Join(", ", VariantCatalog.Ids)})")
                : null;
            var seconds = parse.GetValue(maxSeconds);
            if (seconds < 1) throw new UsageException("--max-seconds must be positive");

            var watch = Stopwatch.StartNew();
            CVariant version;
            try
            {
                version = Load(path, baseVersion);
            }
            catch (KernelCException e)
            {
                stderr.WriteLine(e.Message);
                return ExitCodes.BadInput;
            }
            var parseMs = watch.Elapsed.TotalMilliseconds;
            var text = json.Text(parse, stdout, stderr);
            text.WriteLine($"check: {DisplayName(path)} compiled in {parseMs:F1} ms" + (baseVersion is null ? "" : $"; base {baseVersion.Id}"));
            foreach (var note in version.Notes) text.WriteLine(note);

            var dir = parse.GetValue(corpus)!;
            var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.trace").Order(StringComparer.Ordinal).ToArray() : [];
            if (files.Length == 0) throw new UsageException($"--corpus {dir}: no .trace files (the rows come from its reproducers)");
            var causes = VerdictsCommand.RootCauses(files);

            using var stop = StopSignal.Listen(stderr, "finishing the cells in progress; the rest say \"not searched\"; then the table");
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
            var budget = new VerdictBudget { Executions = parse.GetValue(execs), Depth = parse.GetValue(depth), Cancel = deadline.Token };
            List<SplitVariant> list = baseVersion is null ? [version] : [baseVersion, version];
            var rows = new VerdictRow[causes.Count];
            Parallel.For(0, causes.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                i => rows[i] = Verdicts.Row(causes[i].Programs, causes[i].Cause, list, budget));
            if (!json.ToStdout(parse)) VerdictsCommand.WriteText(stdout, rows, list, budget);
            json.Emit(parse, stdout, w => VerdictsCommand.WriteJson(w, rows, list, budget));

            var worse = rows.Where(r => r.Kind == "hazard" && r.Cell(version.Id) is { Shows: true }
                && (baseVersion is null || r.Cell(baseVersion.Id) is not { Shows: true })).Select(r => r.Key).ToList();
            text.WriteLine($"check: {watch.Elapsed.TotalSeconds:F1} s; " + (worse.Count == 0
                ? "no hazard your version has that " + (baseVersion?.Id ?? "the model") + " lacks"
                : $"hazard(s) {(baseVersion is null ? "" : $"{baseVersion.Id} lacks")}: {string.Join(", ", worse)}"));
            return worse.Count == 0 ? ExitCodes.Clean : ExitCodes.Violation;
        });
        return command;
    }

    private static string DisplayName(string path) => path == "-" ? "<stdin>" : path;

    /// <summary>Reads and compiles the input; every failure is one <see cref="KernelCException"/> line.</summary>
    internal static CVariant Load(string path, SplitVariant? baseVersion)
    {
        var name = DisplayName(path);
        byte[] bytes;
        if (path == "-")
        {
            using var ms = new MemoryStream();
            Console.OpenStandardInput().CopyTo(ms);
            bytes = ms.ToArray();
        }
        else
        {
            if (!File.Exists(path)) throw new KernelCException($"{name}:1:1: no such file; supported: a C file or -");
            if (new FileInfo(path).Length > CVariant.MaxInputBytes)
                throw new KernelCException($"{name}:1:1: input of {new FileInfo(path).Length:N0} bytes; supported: a C file or patch up to {CVariant.MaxInputBytes:N0} bytes");
            bytes = File.ReadAllBytes(path);
        }
        if (bytes.Length > CVariant.MaxInputBytes)
            throw new KernelCException($"{name}:1:1: input of {bytes.Length:N0} bytes; supported: a C file or patch up to {CVariant.MaxInputBytes:N0} bytes");
        var text = new System.Text.UTF8Encoding(false, false).GetString(bytes);
        if (text.StartsWith("diff ", StringComparison.Ordinal) || text.StartsWith("--- ", StringComparison.Ordinal) || text.StartsWith("From ", StringComparison.Ordinal))
            throw new KernelCException($"{name}:1:1: a patch; supported: a C file (patches need the shipped versions' C texts, not in this build)");
        return CVariant.Compile(name, text, "yours", baseVersion);
    }
}
