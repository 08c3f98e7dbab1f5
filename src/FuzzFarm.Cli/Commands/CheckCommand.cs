using System.CommandLine;
using System.Diagnostics;
using FuzzFarm.Engine;
using FuzzFarm.KernelC;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm check INPUT [--base VERSION] [--max-seconds N] [--json]</c>: the C text of split_kernel_leaf_mapping()
/// (a C file, or a unified diff applied to a shipped version's C text) compiled to a version and run on the model, no
/// rebuild; its verdict column beside its base's. The rows are the corpus' root causes plus any a bounded fuzz of the
/// new version finds on the corpus machines. Exit 0 when it shows no hazard its base lacks, 1 when it does, 2 on bad
/// input (one line: file:line:col).
/// </summary>
internal static class CheckCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var input = new Argument<string>("INPUT") { Description = "A C file holding split_kernel_leaf_mapping(), a unified diff against --base's C text, or - for stdin" };
        var baseOpt = new Option<string?>("--base") { Description = "The shipped version the text changes (its column beside yours; what your text does not define; what a patch applies to)" };
        var corpus = new Option<string>("--corpus") { Description = "Reproducers whose root causes make the rows", DefaultValueFactory = _ => "tests/corpus" };
        var maxSeconds = new Option<int>("--max-seconds") { Description = "One deadline for all searches; cells after it say \"not searched\"", DefaultValueFactory = _ => 60 };
        var execs = new Option<long>("--execs") { Description = "Fuzzing executions per cell the reproducer does not show", DefaultValueFactory = _ => 20_000 };
        var discover = new Option<long>("--discover-execs") { Description = "Fuzzing executions of your version per corpus machine, all invariants, for root causes the corpus lacks (0: none)", DefaultValueFactory = _ => 30_000 };
        var depth = new Option<int>("--depth") { Description = "Explorer depth per cell the reproducer does not show", DefaultValueFactory = _ => 4 };
        var maxStates = new Option<long>("--max-states") { Description = "The explorer gives up after this many states per cell", DefaultValueFactory = _ => 4_000_000 };
        var invariants = new Option<string?>("--invariant") { Description = "Only rows of these invariants (comma-separated ids), and the discovery fuzz aims at them" };
        var failOn = new Option<string>("--fail-on")
        {
            Description = "adversarial: exit 1 for any hazard your version shows that its base lacks; strict: only one shown with the kernel's own callers",
            DefaultValueFactory = _ => "adversarial",
        };
        failOn.AcceptOnlyFromAmong("adversarial", "strict");
        var outDir = new Option<string>("--out") { Description = "Where the reproducers of your version's cells are written (.trace, replayable)", DefaultValueFactory = _ => "fuzzfarm-check" };
        var json = new JsonOut("the table");
        var command = new Command("check", "Compile the C text (or a patch) of split_kernel_leaf_mapping() and give its verdict column beside its base's")
        {
            input, baseOpt, corpus, maxSeconds, execs, discover, depth, maxStates, invariants, failOn, outDir,
        };
        foreach (var o in json.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(input);
            var baseVersion = BaseVersion(parse.GetValue(baseOpt));
            var seconds = parse.GetValue(maxSeconds);
            if (seconds < 1) throw new UsageException("--max-seconds must be positive");
            var budget = new VerdictBudget { Executions = parse.GetValue(execs), Depth = parse.GetValue(depth), MaxStates = parse.GetValue(maxStates) };
            if (budget.Executions < 0) throw new UsageException("--execs must be 0 or more");
            if (budget.Depth is < 0 or > 16) throw new UsageException("--depth must be 0..16");
            if (budget.MaxStates < 1) throw new UsageException("--max-states must be positive");
            var discoverExecs = parse.GetValue(discover);
            if (discoverExecs < 0) throw new UsageException("--discover-execs must be 0 or more");

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
            var causes = VerdictsCommand.RootCauses(files, out var sources);
            var only = CommonOptions.ParseInvariants(parse.GetValue(invariants));
            if (only is not null) causes.RemoveAll(c => !only.Contains(c.Cause.Invariant));
            if (causes.Count == 0 && only is not null) throw new UsageException("--invariant: no corpus root cause of those invariants");

            using var stop = StopSignal.Listen(stderr, "finishing the searches in progress; the rest say \"not searched\"; then the table");
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
            budget = budget with { Cancel = deadline.Token };

            // Root causes the corpus lacks: a bounded fuzz of the new version on each corpus machine, every invariant.
            var discovered = VersionCheck.DiscoverInto(version, causes, sources, only, discoverExecs, deadline.Token);
            if (discoverExecs > 0)
            {
                text.WriteLine($"check: fuzzed your version {discoverExecs:N0} execs on each of {causes.SelectMany(c => c.Programs).Select(p => p.Machine).Distinct().Count()} " +
                    $"corpus machine(s): {discovered} root cause(s) the corpus lacks");
            }

            List<SplitVariant> list = baseVersion is null ? [version] : [baseVersion, version];
            var rows = VersionCheck.Rows(causes, baseVersion, version, budget);
            if (!json.ToStdout(parse))
            {
                VerdictsCommand.WriteText(stdout, rows, list, budget, sources);
                if (baseVersion is not null)
                    stdout.WriteLine($"{baseVersion.Id}'s column runs the explorer only in rows your version shows (elsewhere: its reproducers and the fuzz).");
            }

            json.Emit(parse, stdout, w => VerdictsCommand.WriteJson(w, rows, list, budget));

            var reproducers = WriteReproducers(parse.GetValue(outDir)!, path, baseVersion, version, rows);
            foreach (var line in reproducers) text.WriteLine(line);

            // Worse: your version shows a hazard its base does not and the base's search settled it; an undecided row
            // is said so and does not fail the check (see VersionCheck.Decide, also for --fail-on strict).
            var (worseRows, undecidedRows) = VersionCheck.Decide(rows, baseVersion, version, parse.GetValue(failOn) == "strict");
            var (worse, undecided) = (worseRows.Select(r => r.Key).ToList(), undecidedRows.Select(r => r.Key).ToList());
            if (undecided.Count > 0)
            {
                text.WriteLine($"check: undecided ({baseVersion!.Id}'s search was cut short by the deadline, or it shows the row only with assumptions): " +
                    string.Join(", ", undecided));
            }

            text.WriteLine($"check: {watch.Elapsed.TotalSeconds:F1} s; " + (worse.Count == 0
                ? "no hazard your version has that " + (baseVersion?.Id ?? "the model") + " lacks"
                : $"hazard(s){(baseVersion is null ? "" : $" {baseVersion.Id} lacks")}: {string.Join(", ", worse)}"));
            return worse.Count == 0 ? ExitCodes.Clean : ExitCodes.Violation;
        });
        return command;
    }

    internal static SplitVariant? BaseVersion(string? id) => id is null ? null
        : VariantCatalog.TryGet(id, out var v) ? v
        : throw new UsageException($"--base: unknown version '{id}' (known: {string.Join(", ", VariantCatalog.Ids)})");

    /// <summary>
    /// Writes a replayable trace for each row your version shows (hazards first) and returns the lines that say where,
    /// with the replay command.
    /// </summary>
    private static List<string> WriteReproducers(string dir, string inputPath, SplitVariant? baseVersion, CVariant version, IReadOnlyList<VerdictRow> rows)
    {
        var lines = new List<string>();
        var shown = rows.Where(r => r.Cell(version.Id) is { Shows: true, Trace: not null }).OrderBy(r => r.Kind == "hazard" ? 0 : 1).ToList();
        if (shown.Count == 0) return lines;
        Directory.CreateDirectory(dir);
        var input = inputPath == "-" ? "YOUR-FILE" : inputPath;
        var baseArg = baseVersion is null ? "" : $" --base {baseVersion.Id}";
        lines.Add($"reproducers of your version's cells ({shown.Count}), each replayable:");
        foreach (var r in shown)
        {
            var cell = r.Cell(version.Id)!;
            var program = TraceParser.Parse(cell.Trace!, r.Key);
            var mine = new EventProgram(program.Machine, program.Events, null, program.Env, program.Seed, program.FormatRevision);
            var file = Path.Combine(dir, r.Key + ".trace");
            var comments = new[]
            {
                $"{r.Key}: {r.Title}",
                $"shown by your version ({cell.Text}) of {input}" + (baseVersion is null ? "" : $" on {baseVersion.Id}"),
                $"replay: fuzzfarm replay {file} --version-file {input}{baseArg}",
            };
            FuzzFarm.Host.AtomicFile.Write(file, TraceWriter.Write(mine, comments));
            lines.Add($"  {r.Key,-34} {cell.Short,-9} {file}");
        }

        lines.Add($"  replay one: fuzzfarm replay {Path.Combine(dir, shown[0].Key + ".trace")} --version-file {input}{baseArg}");
        return lines;
    }

    private static string DisplayName(string path) => path == "-" ? "<stdin>" : path;

    /// <summary>Reads and compiles the input (a C file or a patch against the base's C text); every failure is one <see cref="KernelCException"/> line.</summary>
    internal static CVariant Load(string path, SplitVariant? baseVersion) => VersionSource.Compile(Source(path, baseVersion), "yours", baseVersion);

    /// <summary>Reads the input (a file or stdin, size-limited); a patch is applied to the base's C text.</summary>
    internal static VersionSource.Text Source(string path, SplitVariant? baseVersion)
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
            if (!File.Exists(path)) throw new KernelCException($"{name}:1:1: no such file; supported: a C file, a patch, or -");
            if (new FileInfo(path).Length > CVariant.MaxInputBytes)
                throw new KernelCException($"{name}:1:1: input of {new FileInfo(path).Length:N0} bytes; supported: a C file or patch up to {CVariant.MaxInputBytes:N0} bytes");
            bytes = File.ReadAllBytes(path);
        }

        if (bytes.Length > CVariant.MaxInputBytes)
            throw new KernelCException($"{name}:1:1: input of {bytes.Length:N0} bytes; supported: a C file or patch up to {CVariant.MaxInputBytes:N0} bytes");
        return VersionSource.From(name, new System.Text.UTF8Encoding(false, false).GetString(bytes), baseVersion);
    }
}
