using System.Diagnostics;
using System.Globalization;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// Runs fuzz-targets/afl.sh (the one place that knows how to build, instrument and run the AFL++ target) for the
/// benchmark, in one work folder so the instrumented build is made once and reused.
/// </summary>
internal sealed partial class AflRunner
{
    private readonly string _script;
    private readonly string _work;
    private bool _built;

    private AflRunner(string script)
    {
        _script = script;
        _work = Path.Combine(Path.GetTempPath(), $"fuzzfarm-bench-afl-{Environment.ProcessId}");
    }

    /// <summary>The runner, or null with the reason AFL++ cannot run here.</summary>
    public static AflRunner? Locate(out string? why)
    {
        why = null;
        var script = FindScript();
        if (script is null)
        {
            why = "fuzz-targets/afl.sh not found (run the benchmark from a FuzzFarm checkout)";
            return null;
        }

        if (!OnPath("afl-fuzz"))
        {
            why = "afl-fuzz is not installed (Debian: apt-get install afl++)";
            return null;
        }

        return new AflRunner(script);
    }

    /// <summary>Runs afl.sh with <paramref name="args"/> in <c>WORK/name</c>; returns fuzzer_stats, or null on failure.</summary>
    public Dictionary<string, string>? Run(string[] args, string name, TextWriter log)
    {
        var outDir = Path.Combine(_work, name);
        var code = Invoke(args, outDir, log);
        var stats = Path.Combine(outDir, "afl", "default", "fuzzer_stats");
        if (code != 0 || !File.Exists(stats))
        {
            log.WriteLine($"    afl.sh exited with {code}; no {stats}");
            return null;
        }

        return ReadStats(stats);
    }

    /// <summary>afl-fuzz's fuzzer_stats file as key → value.</summary>
    private static Dictionary<string, string> ReadStats(string path) =>
        File.ReadAllLines(path).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());

    /// <summary>
    /// Seconds from afl-fuzz's start (its fuzzer_setup file, written before it calibrates the seeds) to its first saved
    /// crash in <paramref name="aflDir"/> (file times, sub-second), or null when it saved none.
    /// </summary>
    private static double? FirstCrashSeconds(string aflDir)
    {
        var crashes = Path.Combine(aflDir, "crashes");
        var setup = Path.Combine(aflDir, "fuzzer_setup");
        if (!Directory.Exists(crashes) || !File.Exists(setup)) return null;
        var times = Directory.GetFiles(crashes, "id:*").Select(File.GetLastWriteTimeUtc).ToList();
        return times.Count == 0 ? null : (times.Min() - File.GetLastWriteTimeUtc(setup)).TotalSeconds;
    }

    /// <summary>
    /// Seconds from afl-fuzz's start (its fuzzer_setup file, written before the seeds are calibrated) to its first
    /// saved crash (file times, sub-second), or null when it saved none.
    /// </summary>
    public double? TimeToFirstCrash(string[] args, TextWriter log)
    {
        var name = $"c-{Guid.NewGuid():N}";
        if (Run(args, name, log) is null) return null;
        return FirstCrashSeconds(Path.Combine(_work, name, "afl", "default"));
    }

    private int Invoke(string[] args, string outDir, TextWriter log)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(_script);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--out");
        info.ArgumentList.Add(outDir);
        // The instrumented build lives in the first run's folder; later runs link to it.
        var shared = Path.Combine(_work, "publish");
        if (_built)
        {
            Directory.CreateDirectory(outDir);
            var link = Path.Combine(outDir, "publish");
            if (!Directory.Exists(link)) Directory.CreateSymbolicLink(link, shared);
            info.ArgumentList.Add("--reuse");
        }

        using var p = Process.Start(info) ?? throw new InvalidOperationException("cannot start bash");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var text = stdout.Result + stderr.Result;
        if (p.ExitCode != 0) log.WriteLine(string.Join('\n', text.Split('\n').TakeLast(8)));
        if (!_built && p.ExitCode == 0)
        {
            // Move the instrumented build to the shared place for the next runs.
            var built = Path.Combine(outDir, "publish");
            if (Directory.Exists(built) && !Directory.Exists(shared))
            {
                Directory.Move(built, shared);
                Directory.CreateSymbolicLink(built, shared);
            }

            _built = true;
        }

        return p.ExitCode;
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "fuzz-targets", "afl.sh");
                if (File.Exists(candidate)) return candidate;
            }
        }

        return null;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, program)));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"afl.sh in {_work}");
}
