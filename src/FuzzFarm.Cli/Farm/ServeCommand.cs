using System.CommandLine;
using FuzzFarm.Host;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm serve --data DIR</c>: the web dashboard of a finished (or interrupted) local campaign, from its data
/// folder. The silo starts with <see cref="FuzzFarm.Farm.FarmOptions.Resume"/> off: nothing fuzzes, the campaigns,
/// verdicts, plots, guard coverage and finding pages are shown as the run left them.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var data = new Option<string>("--data") { Description = "The campaign's data folder (default ./fuzzfarm-data)", DefaultValueFactory = _ => "fuzzfarm-data" };
        var http = new Option<string>("--http") { Description = "Where the dashboard listens (default 127.0.0.1:5080; port 0: any)", DefaultValueFactory = _ => "127.0.0.1:5080" };
        var findings = new Option<string?>("--findings") { Description = "The finding files, if the run kept them elsewhere (default DATA/findings)" };
        var siloPort = new Option<int>("--silo-port") { Description = "The silo's own port (default 11121: a running silo keeps 11111)", DefaultValueFactory = _ => 11121 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "The client gateway port (default 30010)", DefaultValueFactory = _ => 30010 };
        var command = new Command("serve", "Serve the web dashboard of a finished local campaign from its data folder (nothing fuzzes)")
        {
            data, http, findings, siloPort, gatewayPort,
        };
        command.SetAction(parse =>
        {
            var dir = Path.GetFullPath(parse.GetValue(data)!);
            if (!Directory.Exists(Path.Combine(dir, "state")))
                throw new UsageException($"--data {dir}: no FuzzFarm data there (no state/ folder); run 'fuzzfarm run --data {dir}' first");
            if (parse.GetValue(http) is "off") throw new UsageException("--http off: serve is the dashboard; give an address");
            var options = new FuzzFarmHostOptions
            {
                DataDirectory = dir,
                Http = parse.GetValue(http)!,
                Findings = parse.GetValue(findings),
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                ClusterId = "fuzzfarm-serve",
            };
            using var hold = DataLock.Take(dir, options.Findings);
            if (!CliApp.Verbose) options.LogFile ??= Path.Combine(dir, "serve.log");
            using var app = FarmCommands.BuildSilo(options, farm => farm.Resume = false);
            using var stop = StopSignal.Listen(stderr, "stopping the dashboard");
            FarmCommands.StartHost(app, options);
            stdout.WriteLine($"fuzzfarm serve: {dir} (read as the run left it; nothing fuzzes)");
            if (FuzzFarmSilo.HttpAddress(app) is { } web) stdout.WriteLine($"dashboard: {web}  (Ctrl-C stops)");
            stdout.Flush();
            stop.Token.WaitHandle.WaitOne();
            using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5))) app.StopAsync(limit.Token).GetAwaiter().GetResult();
            return ExitCodes.Clean;
        });
        return command;
    }
}
