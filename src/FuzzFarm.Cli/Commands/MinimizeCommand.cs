using System.CommandLine;
using FuzzFarm.Cli.Replay;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm minimize TRACE [--variant ID] [--env strict|adversarial] [--invariant ID] [--out FILE]</c>: shrinks
/// a failing trace to a 1-minimal one with the same signature and prints it (or writes it to FILE).
/// </summary>
internal static class MinimizeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var trace = new Argument<string>("TRACE") { Description = "A .trace file that shows a violation" };
        var variant = new Option<string?>("--variant") { Description = "Variant id (default: the trace's variant header)" };
        var env = CommonOptions.TraceEnv();
        var invariant = new Option<string?>("--invariant") { Description = "Which violation to keep, by invariant id (default: the first the run reports)" };
        var outFile = new Option<string?>("--out") { Description = "Write the minimized trace here instead of stdout" };
        var command = new Command("minimize", "Shrink a failing trace to a 1-minimal one with the same signature")
        {
            trace, variant, env, invariant, outFile,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(trace);
            var program = TraceLoader.Load(path);
            var variantId = parse.GetValue(variant) ?? program.Variant
                ?? throw new UsageException($"{path}: the trace names no variant; pass --variant");
            var v = CommonOptions.Variant(variantId);
            var envMode = CommonOptions.ParseEnv(parse.GetValue(env), program.Env ?? CommonOptions.DefaultEnv);
            var wanted = CommonOptions.ParseInvariants(parse.GetValue(invariant));
            var machine = new Machine(program.Machine, v);
            machine.Run(program.Events.AsSpan());
            Violation? target = null;
            foreach (var violation in machine.Violations)
            {
                if (violation.ReportedIn(envMode) && (wanted is null || wanted.Contains(violation.Invariant)))
                {
                    target = violation;
                    break;
                }
            }

            if (target is not { } found)
            {
                stderr.WriteLine($"fuzzfarm: {path}: no {(wanted is null ? "" : string.Join(",", wanted.Select(Invariants.Id)) + " ")}violation on {v.Id} ({(envMode == EnvMode.Strict ? "strict" : "adversarial")}): nothing to minimize");
                return ExitCodes.Clean;
            }

            var signature = Signature.Of(v.Id, found);
            using var stop = StopSignal.Listen(stderr, "keeping the smallest trace so far and printing it");
            var minimizer = new Minimizer(new Machine(program.Machine, v), envMode) { Cancel = stop.Token };
            var events = minimizer.Minimize(program.Events.AsSpan(), signature);
            var minimized = new EventProgram(program.Machine, [.. events], v.Id, envMode, program.Seed);
            if (!ReplayGate.Confirms(minimized, v, signature, envMode, out var confirmed))
            {
                stderr.WriteLine($"fuzzfarm: {path}: the minimized trace did not reproduce {signature} (replay gate); keeping the input");
                return ExitCodes.Violation;
            }

            var finding = new Finding(signature, minimized, confirmed, 0, program.Events.Length);
            if (parse.GetValue(outFile) is { } file) File.WriteAllText(file, finding.TraceText);
            else stdout.Write(finding.TraceText);
            stderr.WriteLine($"fuzzfarm: {signature}: {program.Events.Length} -> {events.Length} events in {minimizer.Tests} runs"
                + (minimizer.Interrupted ? " (interrupted by a signal: smaller may exist)" : ""));
            return ExitCodes.Violation;
        });
        return command;
    }
}
