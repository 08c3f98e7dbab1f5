using FuzzFarm.Host;
using System.CommandLine;
using FuzzFarm.Cli.Replay;
using FuzzFarm.Model;

namespace FuzzFarm.Cli.Commands;

/// <summary><c>fuzzfarm replay TRACE [--variant ID|all] [--env strict|adversarial] [--json] [--no-timeline]</c>.</summary>
internal static class ReplayCommand
{
    public static Command Create(TextWriter stdout)
    {
        var trace = new Argument<string>("TRACE")
        {
            Description = "A .trace file (see src/FuzzFarm.Language/README.md), or a folder: every *.trace in it, as a matrix",
        };
        var variant = new Option<string?>("--variant")
        {
            Description = "Variant id, or 'all' (default: the trace's variant header, else all)",
        };
        var env = CommonOptions.TraceEnv();
        var json = new JsonOut("the replay");
        var noTimeline = new Option<bool>("--no-timeline") { Description = "Leave the per-CPU timeline out" };
        var timelineLimit = new Option<int>("--timeline-limit")
        {
            Description = $"Timeline entries kept per variant (default {BoundedReplay.DefaultTimelineLimit}; the rest are counted)",
            DefaultValueFactory = _ => BoundedReplay.DefaultTimelineLimit,
        };
        var versionFile = new Option<string?>("--version-file")
        {
            Description = "Replay on a version compiled from this C text or patch (as fuzzfarm check takes it) instead of --variant",
        };
        var baseOpt = new Option<string?>("--base") { Description = "With --version-file: the shipped version the text changes (what a patch applies to)" };
        var command = new Command("replay", "Run a trace on one or every variant and report what the oracle saw")
        {
            trace, variant, env, noTimeline, timelineLimit, versionFile, baseOpt,
        };
        foreach (var o in json.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(trace);
            var fromText = parse.GetValue(versionFile);
            if (fromText is null && parse.GetValue(baseOpt) is not null) throw new UsageException("--base goes with --version-file");
            if (fromText is not null && parse.GetValue(variant) is not null) throw new UsageException("--version-file and --variant: give one");
            if (fromText is not null && Directory.Exists(path)) throw new UsageException("--version-file replays one trace, not a folder");
            if (Directory.Exists(path))
            {
                var matrix = ReplayMatrix.Run(path, parse.GetValue(variant), ParseEnv(parse.GetValue(env)));
                if (!json.ToStdout(parse)) ReplayMatrix.WriteText(stdout, path, matrix);
                json.Emit(parse, stdout, w => ReplayMatrix.WriteJson(w, matrix));
                return matrix.Any(t => t.Results.Any(r => r.HasViolation)) ? ExitCodes.Violation : ExitCodes.Clean;
            }

            var program = TraceLoader.Load(path);
            var envMode = ParseEnv(parse.GetValue(env)) ?? program.Env ?? CommonOptions.DefaultEnv;
            IReadOnlyList<SplitVariant> variants;
            if (fromText is not null)
            {
                try
                {
                    variants = [CheckCommand.Load(fromText, CheckCommand.BaseVersion(parse.GetValue(baseOpt)))];
                }
                catch (FuzzFarm.KernelC.KernelCException e)
                {
                    Console.Error.WriteLine(e.Message);
                    return ExitCodes.BadInput;
                }
            }
            else
            {
                variants = TraceLoader.SelectVariants(parse.GetValue(variant) ?? program.Variant ?? "all");
            }

            // One variant at a time, written and dropped: memory holds one capped timeline, not all of them.
            var limit = parse.GetValue(noTimeline) ? 0 : parse.GetValue(timelineLimit);
            if (limit < 0) throw new UsageException("--timeline-limit must be 0 or more");
            var violation = false;
            var results = variants.Select(v =>
            {
                var run = BoundedReplay.Run(program, v, envMode, limit);
                violation |= run.Replay.HasViolation;
                return run;
            });
            if (!json.ToStdout(parse)) ReplayText.Write(stdout, path, program, envMode, results, limit > 0, limit);
            json.Emit(parse, stdout, w => ReplayJson.Write(w, path, program, envMode, results, limit > 0)); // replayed again for the file: runs are deterministic
            return violation ? ExitCodes.Violation : ExitCodes.Clean;
        });
        return command;
    }

    internal static EnvMode? ParseEnv(string? text) => text switch
    {
        null => null,
        "strict" => EnvMode.Strict,
        "adversarial" => EnvMode.Adversarial,
        _ => throw new UsageException($"--env: '{text}' is not strict or adversarial"),
    };
}
