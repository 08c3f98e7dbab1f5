using System.CommandLine;
using FuzzFarm.Cli.Commands;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Cli;

/// <summary>The <c>fuzzfarm</c> command line. <see cref="Run"/> is what Main calls; tests call it directly.</summary>
public static class CliApp
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = new RootCommand("FuzzFarm: fuzzing and bounded proofs for arm64 split_kernel_leaf_mapping()")
        {
            VariantsCommand.Create(stdout),
            ReplayCommand.Create(stdout),
            FuzzCommand.Create(stdout, stderr),
            MinimizeCommand.Create(stdout, stderr),
            MatrixCommand.Create(stdout),
            ExploreCommand.Create(stdout, stderr),
            BenchCommand.Create(stdout, stderr),
            FarmCommands.Run(stdout, stderr),
            FarmCommands.Silo(stdout, stderr),
            FarmCommands.Campaign(stdout),
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
        catch (Exception e) when (e is UsageException or TraceFormatException or MachineConfigException or FuzzFarm.Host.FuzzFarmOptionsException)
        {
            stderr.WriteLine($"fuzzfarm: {e.Message}");
            return ExitCodes.BadInput;
        }
    }
}
