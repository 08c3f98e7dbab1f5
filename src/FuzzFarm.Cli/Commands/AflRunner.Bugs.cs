using System.Globalization;

namespace FuzzFarm.Cli.Commands;

/// <summary>afl.sh runs for <c>bench --bugs</c> and the timed mutation score: time to a crash, crash inputs.</summary>
internal sealed partial class AflRunner
{
    /// <summary>One afl.sh run: seconds to the first crash (null: none), executions, execs/s, and the inputs that crashed.</summary>
    public sealed record Outcome(double? Seconds, long Executions, double ExecsPerSec, bool SeedCrashed, IReadOnlyList<byte[]> Crashes);

    /// <summary>Writes <paramref name="text"/> to a file of the work folder (a patch or C text for --version-file).</summary>
    public string WriteInput(string name, string text)
    {
        Directory.CreateDirectory(_work);
        var path = Path.Combine(_work, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>
    /// Runs afl.sh with <paramref name="args"/> (plus --no-import) in a fresh folder, removed afterwards. When every seed
    /// already crashes, afl.sh does not start afl-fuzz: the crash is then at 0 s and the crashing seeds are the inputs.
    /// Null when afl.sh failed.
    /// </summary>
    public Outcome? RunOnce(string[] args, TextWriter log)
    {
        var dir = Path.Combine(_work, $"r-{Guid.NewGuid():N}");
        try
        {
            var code = Invoke([.. args, "--no-import"], dir, log);
            if (code != 0)
            {
                log.WriteLine($"    afl.sh exited with {code}");
                return null;
            }

            var seeds = Inputs(Path.Combine(dir, "seed-candidates"));
            var afl = Path.Combine(dir, "afl", "default");
            var stats = Path.Combine(afl, "fuzzer_stats");
            if (!File.Exists(stats))
                return seeds.Count > 0 ? new Outcome(0, 0, double.NaN, true, seeds) : null;

            var values = ReadStats(stats);
            var execs = values.TryGetValue("execs_done", out var e) && long.TryParse(e, CultureInfo.InvariantCulture, out var n) ? n : 0;
            var rate = values.TryGetValue("execs_per_sec", out var r) && double.TryParse(r, CultureInfo.InvariantCulture, out var x) ? x : double.NaN;
            var first = FirstCrashSeconds(afl) is { } t ? Math.Max(0, t) : (double?)null;
            return new Outcome(first, execs, rate, false, [.. Inputs(Path.Combine(afl, "crashes")), .. seeds]);
        }
        finally
        {
            Remove(dir);
        }
    }

    private static List<byte[]> Inputs(string dir) => Directory.Exists(dir)
        ? Directory.GetFiles(dir).Where(f => !f.EndsWith("README.txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList()
        : [];

    /// <summary>Removes a run folder; its publish/ is a link to the shared instrumented build, which stays.</summary>
    private static void Remove(string dir)
    {
        try
        {
            var link = new DirectoryInfo(Path.Combine(dir, "publish"));
            if (link.Exists && link.LinkTarget is not null) link.Delete();
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover folder under the temp directory is harmless.
        }
    }
}
