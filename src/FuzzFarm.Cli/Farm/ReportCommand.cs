using System.CommandLine;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Host.Web;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm report FINDING</c>: a finding as Markdown for a review thread (the same report as the dashboard's
/// <c>/findings/KEY.md</c>). FINDING is a finding file (<c>KEY.json</c>, <c>KEY.trace</c>, or their stem), a signature
/// key found in a findings folder (<c>--findings</c>, else DATA/findings), or, with <c>--cluster</c>, a key the
/// cluster's aggregator holds.
/// </summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter stdout)
    {
        var finding = new Argument<string>("FINDING") { Description = "KEY.json, KEY.trace, their stem, or a signature key" };
        var data = new Option<string>("--data") { Description = "Where the local mode keeps its findings folder (default ./fuzzfarm-data)", DefaultValueFactory = _ => "fuzzfarm-data" };
        var findings = new Option<string?>("--findings") { Description = "A findings folder to look the key up in (default DATA/findings)" };
        var cluster = new Option<bool>("--cluster") { Description = "Ask the running cluster's aggregator (with --redis, or the local silo's gateway)" };
        var redis = new Option<string?>("--redis") { Description = "Redis HOST:PORT of the cluster (with --cluster)" };
        var gateway = new Option<int>("--gateway-port") { Description = "The local silo's gateway port (with --cluster; default 30000)", DefaultValueFactory = _ => 30000 };
        var clusterId = new Option<string>("--cluster-id") { Description = "Cluster id (default fuzzfarm)", DefaultValueFactory = _ => "fuzzfarm" };
        var markdown = new Option<bool>("--markdown") { Description = "Markdown for a web review (default: plain text for a mailing list, 80 columns)" };
        var command = new Command("report", "Print a finding as a mailing-list report (80 columns), or as Markdown") { finding, data, findings, cluster, redis, gateway, clusterId, markdown };
        command.SetAction(parse =>
        {
            var what = parse.GetValue(finding)!;
            FindingRecord record;
            if (parse.GetValue(cluster))
            {
                var options = new FuzzFarmHostOptions { Redis = parse.GetValue(redis), GatewayPort = parse.GetValue(gateway), ClusterId = parse.GetValue(clusterId)! };
                record = FromCluster(options, what);
            }
            else
            {
                record = FromFiles(what, parse.GetValue(findings) ?? Path.Combine(parse.GetValue(data)!, "findings"));
            }

            stdout.Write(parse.GetValue(markdown) ? FindingMarkdown.Render(record) : FindingMail.Render(record));
            return ExitCodes.Clean;
        });
        return command;
    }

    private static FindingRecord FromFiles(string what, string folder)
    {
        var candidates = new[] { what, Path.Combine(folder, FindingFile.Name(what)) };
        foreach (var candidate in candidates)
        {
            var stem = candidate.EndsWith(".json", StringComparison.Ordinal) ? candidate[..^5]
                : candidate.EndsWith(".trace", StringComparison.Ordinal) ? candidate[..^6]
                : candidate;
            if (!File.Exists(stem + ".trace")) continue;
            try
            {
                return FindingFile.Read(stem + ".trace");
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }
        }

        throw new UsageException($"'{what}' is neither a finding file (KEY.json / KEY.trace) nor a key with files in {Path.GetFullPath(folder)} (--findings, --data, or --cluster)");
    }

    private static FindingRecord FromCluster(FuzzFarmHostOptions options, string key)
    {
        FindingRecord? found = null;
        FarmCommands.WithClient(options, async client =>
        {
            var all = await client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings();
            found = all.FirstOrDefault(f => f.SignatureKey == key);
            return 0;
        });
        return found ?? throw new UsageException($"the cluster's aggregator has no finding '{key}' ('fuzzfarm campaign findings' lists them)");
    }
}
