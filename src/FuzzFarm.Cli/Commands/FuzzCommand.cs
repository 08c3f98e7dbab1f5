using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Cli.Findings;
using FuzzFarm.Cli.Instrumentation;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;
using Spectre.Console;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm fuzz --variant ID [--machine SPEC | --machine-of TRACE | --swarm] [--env strict|adversarial]
/// [--seed N] [--max-execs N | --max-seconds S] [--out DIR]</c>: a coverage-guided campaign on one variant.
/// </summary>
internal static class FuzzCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var variant = new Option<string>("--variant") { Description = "Variant id (see 'fuzzfarm variants')", Required = true };
        var machine = CommonOptions.Machine();
        var machineOf = CommonOptions.MachineOf();
        var swarm = new Option<bool>("--swarm") { Description = "Draw machine shapes from the seed (a new one every 20,000 executions)" };
        var env = CommonOptions.Env();
        var seed = new Option<string?>("--seed") { Description = "Campaign seed (default 0); the same seed gives the same findings in the same order" };
        var maxExecs = new Option<long?>("--max-execs") { Description = "Stop after this many executions" };
        var maxSeconds = new Option<double?>("--max-seconds") { Description = "Stop after this many seconds (default 10 when no budget is given)" };
        var outDir = new Option<string>("--out") { Description = "Where findings go (.trace + .json each)", DefaultValueFactory = _ => "findings" };
        var invariant = CommonOptions.Invariant();
        var noEdges = new Option<bool>("--no-edges") { Description = "Model-state coverage only (skip SharpFuzz instrumentation)" };
        var prefixes = new Option<int>("--prefix-snapshots") { Description = "Prefix snapshots kept per machine (0, the default: every run from the reset; measured slower here)" };
        var json = new JsonOut("the summary");
        var command = new Command("fuzz", "Coverage-guided fuzzing of event programs against one variant")
        {
            variant, machine, machineOf, swarm, env, seed, maxExecs, maxSeconds, outDir, invariant, noEdges, prefixes,
        };
        foreach (var o in json.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var options = new FuzzOptions
            {
                Variant = CommonOptions.Variant(parse.GetRequiredValue(variant)),
                Machine = parse.GetValue(swarm) ? null : CommonOptions.ResolveMachine(parse.GetValue(machine), parse.GetValue(machineOf)),
                Swarm = parse.GetValue(swarm),
                Env = CommonOptions.ParseEnv(parse.GetValue(env), EnvMode.Strict),
                Seed = CommonOptions.ParseSeed(parse.GetValue(seed)),
                Invariants = CommonOptions.ParseInvariants(parse.GetValue(invariant)),
                Versions = VariantCatalog.All,
                PrefixSnapshots = parse.GetValue(prefixes),
            };
            if (parse.GetValue(prefixes) is < 0 or > 4096) throw new UsageException("--prefix-snapshots must be 0..4096");
            if (parse.GetValue(swarm) && (parse.GetValue(machine) is not null || parse.GetValue(machineOf) is not null))
                throw new UsageException("--swarm excludes --machine and --machine-of");
            var execBudget = parse.GetValue(maxExecs);
            var timeBudget = parse.GetValue(maxSeconds);
            if (execBudget is <= 0) throw new UsageException("--max-execs must be positive");
            if (timeBudget is <= 0 or > 1e7) throw new UsageException("--max-seconds must be positive");
            if (execBudget is null && timeBudget is null) timeBudget = 10;

            // Edge coverage needs the instrumented Model and Variants: run this command again inside a load
            // context that has them (once; inside, InstrumentedContext.Active is true).
            if (!parse.GetValue(noEdges) && !InstrumentedContext.Active)
            {
                var code = InstrumentedContext.TryRun(parse.Tokens.Select(t => t.Value).ToArray(), stdout, stderr, out var why);
                if (code is { } c) return c;
                stderr.WriteLine($"fuzzfarm: {why}");
            }

            return Run(options, execBudget, timeBudget, parse.GetRequiredValue(outDir), json.ToStdout(parse), json.Text(parse, stdout, stderr), w => json.Emit(parse, stdout, w), !parse.GetValue(noEdges), stderr);
        });
        return command;
    }

    private static int Run(FuzzOptions options, long? execBudget, double? timeBudget, string outDir, bool jsonOnStdout, TextWriter stdout, Action<Action<TextWriter>> emitJson, bool edges, TextWriter stderr)
    {
        using var stop = StopSignal.Listen(stderr, "finishing the slice and printing the summary");
        using var edgeObserver = edges && InstrumentedContext.Active ? EdgeCoverageObserver.TryAcquire(Instrumenter.MapSize) : null;
        var written = new List<string>();
        var listener = new Listener(outDir, written, stdout);
        stdout.WriteLine($"SEED={options.Seed} variant={options.Variant.Id} env={(options.Env == EnvMode.Strict ? "strict" : "adversarial")} " +
            $"machine={(options.Swarm ? "swarm" : TraceWriter.FormatMachine(options.Machine!))} format-revision={EventProgram.CurrentRevision} " +
            $"edges={(edgeObserver is null ? "off" : "on")}");
        var session = new FuzzSession(options, listener, edgeObserver);
        listener.Session = session;
        var clock = Stopwatch.StartNew();
        var interactive = !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out);
        // With --json, stdout is the document: this run's text goes to stderr (stdout here), the summary table is not printed.
        var nextReport = 1.0;
        while (!stop.Requested)
        {
            if (execBudget is { } e && session.Executions >= e) break;
            if (timeBudget is { } t && clock.Elapsed.TotalSeconds >= t) break;
            var slice = execBudget is { } eb ? (int)Math.Min(2000, eb - session.Executions) : 2000;
            session.RunSlice(slice);
            var elapsed = clock.Elapsed.TotalSeconds;
            if (elapsed >= nextReport)
            {
                var line = Progress(session, elapsed);
                if (interactive) stdout.Write($"\r{line}   ");
                else stdout.WriteLine(line);
                nextReport = elapsed + (interactive ? 0.25 : 5);
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        if (interactive) stdout.WriteLine();
        stdout.WriteLine(Progress(session, seconds));
        if (!jsonOnStdout) WriteSummary(stdout, session, seconds, outDir);
        emitJson(w => WriteJson(w, session, seconds, written));
        return session.Findings.Count > 0 ? ExitCodes.Violation : ExitCodes.Clean;
    }

    private static string Progress(FuzzSession s, double seconds) =>
        string.Create(CultureInfo.InvariantCulture,
            $"[{seconds,6:F1}s] execs {s.Executions,10:N0}  {s.Executions / Math.Max(seconds, 1e-9),9:N0}/s  " +
            $"edges {s.Edges,5}  features {s.Features,6}  corpus {s.CorpusCount,5}  findings {s.Findings.Count,3}  dups {s.Duplicates:N0}");

    private static void WriteSummary(TextWriter stdout, FuzzSession s, double seconds, string outDir)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        var table = new Table().Border(TableBorder.Rounded).AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        void Row(string k, string v) => table.AddRow(Markup.Escape(k), Markup.Escape(v));
        Row("executions", s.Executions.ToString("N0", CultureInfo.InvariantCulture));
        Row("execs/s", (s.Executions / Math.Max(seconds, 1e-9)).ToString("N0", CultureInfo.InvariantCulture));
        Row("edges (SharpFuzz)", s.EdgesInstrumented ? $"{s.Edges.ToString(CultureInfo.InvariantCulture)} ({Instrumenter.PolicyName})" : "off");
        Row("model-state features", s.Features.ToString(CultureInfo.InvariantCulture));
        Row("corpus", s.CorpusCount.ToString(CultureInfo.InvariantCulture));
        Row("machines", s.Machines.ToString(CultureInfo.InvariantCulture));
        Row("findings", s.Findings.Count.ToString(CultureInfo.InvariantCulture));
        Row("duplicates", s.Duplicates.ToString("N0", CultureInfo.InvariantCulture));
        Row("replay-gate drops", s.ReplayDropped.ToString(CultureInfo.InvariantCulture));
        Row("minimization runs", s.MinimizeExecutions.ToString("N0", CultureInfo.InvariantCulture));
        console.Write(table);
        if (s.Findings.Count == 0) return;
        var findings = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("signature").AddColumn("events").AddColumn("at exec").AddColumn("assumptions");
        var i = 0;
        foreach (var f in s.Findings)
        {
            findings.AddRow(Markup.Escape((++i).ToString(CultureInfo.InvariantCulture)), Markup.Escape(f.Signature.ToString()),
                Markup.Escape(f.Program.Events.Length.ToString(CultureInfo.InvariantCulture)),
                Markup.Escape(f.FoundAtExecution.ToString("N0", CultureInfo.InvariantCulture)),
                Markup.Escape(AssumptionNames.Format(f.Violation.Assumptions)));
        }

        console.Write(findings);
        stdout.WriteLine($"findings written to {Path.GetFullPath(outDir)}");
    }

    private static void WriteJson(TextWriter output, FuzzSession s, double seconds, List<string> written)
    {
        using var stream = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            WriteJson(w, s, seconds, written);
        }

        output.Write(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteJson(System.Text.Json.Utf8JsonWriter w, FuzzSession s, double seconds, List<string> written)
    {
        w.WriteStartObject();
        w.WriteNumber("seed", s.Options.Seed);
        w.WriteString("variant", s.Options.Variant.Id);
        w.WriteNumber("executions", s.Executions);
        w.WriteNumber("seconds", seconds);
        w.WriteNumber("edges", s.Edges);
        w.WriteBoolean("edges_instrumented", s.EdgesInstrumented);
        if (s.EdgesInstrumented) w.WriteString("edge_policy", Instrumenter.PolicyName);
        else w.WriteNull("edge_policy");
        w.WriteNumber("features", s.Features);
        w.WriteNumber("corpus", s.CorpusCount);
        w.WriteNumber("duplicates", s.Duplicates);
        w.WriteNumber("replay_dropped", s.ReplayDropped);
        w.WriteStartObject("guards"); // live guard reads by answer, e.g. "cpus_read_trylock:false"
        foreach (var (k, v) in s.Guards.ToDictionary()) w.WriteNumber(k, v);
        w.WriteEndObject();
        w.WriteStartArray("findings");
        foreach (var f in s.Findings) FindingFiles.WriteJson(w, f, null);
        w.WriteEndArray();
        w.WriteStartArray("files");
        foreach (var f in written) w.WriteStringValue(f);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Writes each finding (with its variant-matrix row) as soon as it is confirmed.</summary>
    private sealed class Listener(string outDir, List<string> written, TextWriter stdout) : IEngineListener
    {
        public FuzzSession? Session { get; set; }

        public void OnFinding(Finding finding)
        {
            var row = VariantMatrix.Row(finding.Program.Machine, finding.Program.Events.AsSpan(), finding.Signature.Invariant,
                finding.Program.Env ?? EnvMode.Adversarial, VariantCatalog.All);
            var (trace, _) = FindingFiles.Write(outDir, finding, row);
            written.Add(trace);
            stdout.WriteLine($"\nfinding: {finding.Title} [{finding.Signature.Variant}] after {finding.FoundAtExecution:N0} execs -> {trace}");
        }

        public void OnCorpusAdded(CorpusEntry entry)
        {
        }
    }
}
