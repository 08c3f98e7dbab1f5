using System.Reflection;
using System.Runtime.Loader;

namespace FuzzFarm.Cli.Instrumentation;

/// <summary>
/// Runs a command against instrumented code: a load context in which FuzzFarm.Model and FuzzFarm.Variants come
/// from the instrumented folder and the FuzzFarm assemblies that use them (Language, Engine, Cli) are loaded
/// again so they bind to those copies. Everything else — the BCL, SharpFuzz.Common with its process-global
/// <c>Trace.SharedMem</c>, System.CommandLine, Spectre.Console — is shared with the default context, so the
/// only things that cross the boundary are strings and <see cref="TextWriter"/>s.
/// </summary>
internal sealed class InstrumentedContext : AssemblyLoadContext
{
    private static readonly string[] _reloaded = ["FuzzFarm.Language", "FuzzFarm.KernelC", "FuzzFarm.Engine", "FuzzFarm.Cli", "fuzzfarm"];
    private readonly string _instrumentedDir;
    private readonly string _baseDir;

    public InstrumentedContext(string instrumentedDir, string baseDir)
        : base("fuzzfarm-instrumented", isCollectible: false)
    {
        _instrumentedDir = instrumentedDir;
        _baseDir = baseDir;
    }

    /// <summary>True inside the instrumented copy of the CLI (set through <see cref="Enter"/>).</summary>
    public static bool Active { get; private set; }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name ?? "";
        if (Instrumenter.Targets.Contains(name)) return LoadFromAssemblyPath(Path.Combine(_instrumentedDir, name + ".dll"));
        if (_reloaded.Contains(name)) return LoadFromAssemblyPath(Path.Combine(_baseDir, name + ".dll"));
        return null; // the default context's copy
    }

    /// <summary>
    /// Runs <c>CliApp.Run(args, stdout, stderr)</c> of the CLI loaded in an instrumented context and returns its
    /// exit code; <paramref name="why"/> says why edges are off when instrumentation is not possible (then it
    /// returns null and the caller runs uninstrumented).
    /// </summary>
    public static int? TryRun(string[] args, TextWriter stdout, TextWriter stderr, out string? why)
    {
        why = null;
        if (Active) return null;
        var baseDir = AppContext.BaseDirectory;
        EdgePolicy policy;
        try
        {
            policy = Instrumenter.Policy;
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message);
        }

        string dir;
        try
        {
            dir = Instrumenter.Prepare(baseDir, policy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException)
        {
            why = $"edge coverage off: instrumentation failed ({e.Message})";
            return null;
        }

        var context = new InstrumentedContext(dir, baseDir);
        var cli = context.LoadFromAssemblyPath(Path.Combine(baseDir, "fuzzfarm.dll"));
        var entry = cli.GetType(typeof(InstrumentedContext).FullName!, throwOnError: true)!;
        return (int)entry.GetMethod(nameof(Enter), BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [args, stdout, stderr])!;
    }

    /// <summary>The entry point inside the instrumented context.</summary>
    private static int Enter(string[] args, TextWriter stdout, TextWriter stderr)
    {
        Active = true;
        FuzzFarm.Engine.EdgeCoverageObserver.Park(); // before any instrumented code runs
        return CliApp.Run(args, stdout, stderr);
    }
}
