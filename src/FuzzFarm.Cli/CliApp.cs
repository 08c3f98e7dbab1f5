using System.CommandLine;
using FuzzFarm.Cli.Commands;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Cli;

/// <summary>The <c>fuzzfarm</c> command line. <see cref="Run"/> is what Main calls; tests call it directly.</summary>
public static class CliApp
{
    /// <summary>Whether <c>--verbose</c> was given (stack traces; <c>run</c> shows the framework's log on the console).</summary>
    internal static bool Verbose { get; private set; }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        // --verbose anywhere: an unexpected error shows its stack trace (otherwise one line).
        var verbose = args.Contains("--verbose");
        Verbose = verbose;
        args = [.. args.Where(a => a != "--verbose")];
        var root = new RootCommand("FuzzFarm: fuzzing and bounded proofs for arm64 split_kernel_leaf_mapping()")
        {
            VariantsCommand.Create(stdout),
            ReplayCommand.Create(stdout),
            FuzzCommand.Create(stdout, stderr),
            MinimizeCommand.Create(stdout, stderr),
            MatrixCommand.Create(stdout),
            VerdictsCommand.Create(stdout, stderr),
            CheckCommand.Create(stdout, stderr),
            BindingsCommand.Create(stdout),
            ExploreCommand.Create(stdout, stderr),
            BenchCommand.Create(stdout, stderr),
            FarmCommands.Run(stdout, stderr),
            FarmCommands.Silo(stdout, stderr),
            FarmCommands.Campaign(stdout, stderr),
            ServeCommand.Create(stdout, stderr),
            HealthCommand.Create(stdout, stderr),
            ReportCommand.Create(stdout),
        };
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows()) root.Subcommands.Add(FarmBenchCommand.Create(stdout, stderr));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) stderr.WriteLine($"fuzzfarm: {error.Message}");
            stderr.WriteLine("fuzzfarm: try 'fuzzfarm --help'");
            return ExitCodes.BadInput;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is UsageException or TraceFormatException or MachineConfigException or FuzzFarm.Host.FuzzFarmOptionsException or NoClusterException)
        {
            stderr.WriteLine($"fuzzfarm: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A filesystem error: the path and the cause, in one line.
            stderr.WriteLine($"fuzzfarm: {FileError(e)}");
            if (verbose) stderr.WriteLine(e);
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (!verbose)
        {
            stderr.WriteLine($"fuzzfarm: {UserMessage(e)} (--verbose shows where)");
            return ExitCodes.BadInput;
        }
    }

    /// <summary>"PATH: cause" from a filesystem exception (.NET words it "cause : 'PATH'" or "… 'PATH' …").</summary>
    internal static string FileError(Exception e)
    {
        var path = System.Text.RegularExpressions.Regex.Match(e.Message, "'([^']+)'") is { Success: true } m ? m.Groups[1].Value : null;
        var cause = path is not null && Directory.Exists(path) && e is UnauthorizedAccessException ? "a folder, not a file" : FuzzFarm.Host.FileErrors.Cause(e);
        return path is null ? cause : $"{path}: {cause}";
    }

    /// <summary>An exception's first message line, without .NET type names or parameter notes.</summary>
    internal static string UserMessage(Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
        var m = inner.Message.Split('\n')[0];
        m = System.Text.RegularExpressions.Regex.Replace(m, @" \(Parameter '[^']*'\)", "");
        m = System.Text.RegularExpressions.Regex.Replace(m, @"\b(System|Microsoft|Orleans|FuzzFarm)(\.[A-Za-z0-9_`\[\],]+)+", "a value");
        return m.Length > 0 ? m.TrimEnd('.') : "unexpected error";
    }
}
