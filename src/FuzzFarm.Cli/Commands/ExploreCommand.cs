using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Cli.Findings;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm explore --variant ID --depth K [--machine SPEC | --machine-of TRACE] [--env strict|adversarial]
/// [--invariant ID]</c>: every program up to depth K; exit 0 only when no selected violation exists.
/// </summary>
internal static class ExploreCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var variant = new Option<string>("--variant") { Description = "Variant id", Required = true };
        var depth = new Option<int>("--depth") { Description = "Most events per program", Required = true };
        var machine = CommonOptions.Machine();
        var machineOf = CommonOptions.MachineOf();
        var env = CommonOptions.Env();
        var invariant = CommonOptions.Invariant();
        var maxStates = new Option<long?>("--max-states") { Description = "Give up after this many distinct states (default 20,000,000)" };
        var outDir = new Option<string?>("--out") { Description = "Write the violating programs here (.trace + .json)" };
        var command = new Command("explore", "Bounded exhaustive exploration: the first violations, or a proof that none exists up to the depth")
        {
            variant, depth, machine, machineOf, env, invariant, maxStates, outDir,
        };
        command.SetAction(parse =>
        {
            var k = parse.GetValue(depth);
            if (k is < 1 or > 32) throw new UsageException($"--depth must be 1..32, not {k}");
            var limit = parse.GetValue(maxStates) ?? 20_000_000;
            if (limit < 1) throw new UsageException("--max-states must be positive");
            var options = new ExploreOptions
            {
                Variant = CommonOptions.Variant(parse.GetRequiredValue(variant)),
                Machine = CommonOptions.ResolveMachine(parse.GetValue(machine), parse.GetValue(machineOf)),
                Env = CommonOptions.ParseEnv(parse.GetValue(env), EnvMode.Strict),
                Depth = k,
                Invariants = CommonOptions.ParseInvariants(parse.GetValue(invariant)),
                MaxStates = limit,
            };
            return Run(options, parse.GetValue(outDir), stdout, stderr);
        });
        return command;
    }

    private static int Run(ExploreOptions options, string? outDir, TextWriter stdout, TextWriter stderr)
    {
        using var stop = StopSignal.Listen(stderr, "stopping now (no proof then)");
        var explorer = new Explorer(options with { Cancel = stop.Token });
        var invariants = options.Invariants is null ? "any invariant" : string.Join(", ", options.Invariants.Select(Invariants.Id));
        var envName = options.Env == EnvMode.Strict ? "strict" : "adversarial";
        stdout.WriteLine($"explore variant={options.Variant.Id} env={envName} depth={options.Depth} invariants={invariants}");
        stdout.WriteLine($"machine: {TraceWriter.FormatMachine(options.Machine)}");
        stdout.WriteLine($"alphabet: {explorer.Alphabet.Describe()}");
        var clock = Stopwatch.StartNew();
        var stoppedAt = 0;
        ExploreResult result;
        try
        {
            result = explorer.Run(
                (d, states) =>
                {
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  depth {d}: {states:N0} states ({clock.Elapsed.TotalSeconds:F2}s)"));
                    stdout.Flush();
                    stoppedAt = d;
                });
        }
        catch (OperationCanceledException) when (stop.Requested)
        {
            stdout.WriteLine($"STOPPED by a signal after depth {stoppedAt}: no violation up to depth {stoppedAt}, not a proof ({clock.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)}s)");
            return ExitCodes.Inconclusive;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var rate = string.Create(CultureInfo.InvariantCulture, $"{result.States:N0} states, {result.Executions:N0} executions in {seconds:F2}s ({result.States / Math.Max(seconds, 1e-9):N0} states/s)");
        if (result.Violations.Count > 0)
        {
            stdout.WriteLine($"VIOLATION at depth {result.DepthReached}: {result.Violations.Count} signature(s); {rate}");
            foreach (var f in result.Violations)
            {
                stdout.WriteLine();
                stdout.WriteLine($"{f.Signature} (assumptions: {AssumptionNames.Format(f.Violation.Assumptions)})");
                stdout.Write(f.TraceText);
                if (outDir is not null)
                {
                    var row = VariantMatrix.Row(f.Program.Machine, f.Program.Events.AsSpan(), f.Signature.Invariant, options.Env, VariantCatalog.All);
                    var (trace, _) = FindingFiles.Write(outDir, f, row);
                    stdout.WriteLine($"-> {trace}");
                }
            }

            return ExitCodes.Violation;
        }

        if (!result.Complete)
        {
            stdout.WriteLine($"INCOMPLETE: state limit reached after depth {result.DepthReached}; no violation of {invariants} up to depth {result.DepthReached} ({rate})");
            return ExitCodes.Inconclusive; // not a proof: only a clean, complete run exits 0
        }

        stdout.WriteLine($"PROVED: no violation of {invariants} ({envName}) in {result.States:N0} states up to depth {options.Depth}, relative to the alphabet above; {rate}");
        return ExitCodes.Clean;
    }
}
