using FuzzFarm.Language;
using FuzzFarm.Model;
using SharpFuzz;

namespace FuzzFarm.AflTarget;

/// <summary>
/// The AFL++ target: <c>dotnet FuzzFarm.AflTarget.dll</c> under afl-fuzz (input on stdin), or
/// <c>--replay FILE</c> / <c>--import CRASHDIR OUTDIR</c> without it. Settings come from FUZZFARM_* variables
/// (see <see cref="TargetSettings"/>).
/// </summary>
internal static class Program
{
    private const int ExitOk = 0;
    private const int ExitViolation = 1;
    private const int ExitUsage = 2;

    private static int Main(string[] args)
    {
        ScratchEdgeMap.Install();
        TargetSettings settings;
        try
        {
            settings = TargetSettings.FromEnvironment();
        }
        catch (SettingsException e)
        {
            Console.Error.WriteLine($"FuzzFarm.AflTarget: {e.Message}");
            return ExitUsage;
        }

        return args switch
        {
            [] => Fuzz(settings),
            ["--replay", var file] => Replay(settings, file),
            ["--import", var crashDir, var outDir] => Import(settings, crashDir, outDir),
            ["-h" or "--help"] => Usage(Console.Out, ExitOk),
            _ => Usage(Console.Error, ExitUsage),
        };
    }

    /// <summary>
    /// The afl-fuzz loop. <c>Fuzzer.OutOfProcess.Run</c> rather than <c>Fuzzer.Run</c>: both run inputs in a
    /// persistent .NET process (no fork per input), and a selected violation is an ordinary exception that either
    /// mode reports as a crash while the process lives on. They differ on timeouts and on faults that kill the
    /// process: with <c>Fuzzer.Run</c> the process afl-fuzz kills on a hang is the fork server itself, so one slow
    /// input ends the campaign ("fork server is misbehaving"); <c>OutOfProcess</c> keeps a small server between
    /// afl-fuzz and a child that runs the inputs and restarts the child when it dies. The price is one extra pipe
    /// round trip per execution, small next to a simulated run. The server restarts the child as
    /// <c>dotnet &lt;command line&gt;</c>, which is why afl.sh starts the target as <c>dotnet FuzzFarm.AflTarget.dll</c>.
    /// </summary>
    private static int Fuzz(TargetSettings settings)
    {
        var body = new FuzzBody(settings);
        Fuzzer.OutOfProcess.Run(body.Execute);
        return ExitOk;
    }

    /// <summary>Runs one input file once and prints what the oracle reported; exit 1 on a selected violation.</summary>
    private static int Replay(TargetSettings settings, string file)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"FuzzFarm.AflTarget: --replay {file}: {e.Message}");
            return ExitUsage;
        }

        var body = new FuzzBody(settings);
        Console.WriteLine($"settings: {settings.Describe()}");
        string? crash = null;
        try
        {
            body.Execute(bytes.AsSpan(0, Math.Min(bytes.Length, FuzzBody.MaxInputBytes)));
        }
        catch (ViolationException e)
        {
            crash = e.Message;
        }

        var program = new EventProgram(settings.Machine, [.. body.LastEvents], settings.Variant.Id, settings.Env);
        Console.WriteLine($"input: {file} ({bytes.Length} bytes) decodes to {program.Events.Length} events:");
        Console.Write(TraceWriter.Write(program));

        var violations = body.Machine.Violations;
        Console.WriteLine(violations.IsEmpty ? "violations: none" : $"violations: {violations.Length}");
        foreach (ref readonly var v in violations)
        {
            var mark = body.Selects(v) ? "selected" : v.ReportedIn(settings.Env) ? "not selected" : "not reported in env";
            Console.WriteLine(
                $"  [{mark}] {v.Id} at {Points.Name(v.Where)}: {v.Detail} (event {v.EventIndex}, task t{v.TaskLabel}, " +
                $"cpu {v.Cpu}, assumptions {AssumptionNames.Format(v.Assumptions)}) -- {v.Title}");
        }

        Console.WriteLine(crash is null ? "result: no crash" : $"result: crash: {crash}");
        return crash is null ? ExitOk : ExitViolation;
    }

    private static int Import(TargetSettings settings, string crashDir, string outDir)
    {
        if (!Directory.Exists(crashDir))
        {
            Console.Error.WriteLine($"FuzzFarm.AflTarget: --import {crashDir}: no such directory");
            return ExitUsage;
        }

        Console.WriteLine($"importing {crashDir} into {outDir} ({settings.Describe()})");
        var importer = new CrashImporter(settings, Console.Out);
        importer.Run(crashDir, outDir);
        Console.WriteLine(
            $"crashes: {importer.Crashes}; imported: {importer.Imported}; deduplicated: {importer.Duplicates}; " +
            $"refused by the replay gate: {importer.Refused}; not reproduced: {importer.NotReproduced}");
        return ExitOk;
    }

    private static int Usage(TextWriter to, int code)
    {
        to.WriteLine("""
            usage: dotnet FuzzFarm.AflTarget.dll                      (under afl-fuzz: input bytes on stdin)
                   dotnet FuzzFarm.AflTarget.dll --replay FILE        (run one input; exit 1 on a selected violation)
                   dotnet FuzzFarm.AflTarget.dll --import CRASHDIR OUTDIR
                                                    (minimize, gate and dedup AFL crashes into OUTDIR/<key>.trace)
            settings (environment):
              FUZZFARM_VARIANT    variant id (default realm-v2)
              FUZZFARM_MACHINE    machine spec (default "cpus=2 bbml2=0 ram=4G")
              FUZZFARM_ENV        strict | adversarial (default adversarial)
              FUZZFARM_INVARIANT  comma-separated invariant ids (default: all)
              FUZZFARM_DETAIL     only violations whose detail contains this text
              FUZZFARM_VERSION_FILE  a C file or unified diff compiled on FUZZFARM_VARIANT as its base
            """);
        return code;
    }
}
