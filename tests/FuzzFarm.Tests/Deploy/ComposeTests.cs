using System.Text.Json;
using System.Text.RegularExpressions;
using FuzzFarm.Host;
using YamlDotNet.RepresentationModel;

namespace FuzzFarm.Tests.Deploy;

/// <summary>
/// deploy/docker-compose.yml against the code it runs: the silo's environment is the silo's options, every
/// dashboard is provisioned with the data source it names, Prometheus scrapes the port and path the silo serves,
/// and nothing is published beyond loopback. (No Docker engine here; <c>.ci/run</c> also runs
/// <c>docker-compose config</c>.)
/// </summary>
public sealed partial class ComposeTests
{
    private static readonly string Deploy = Path.Combine(Corpus.RepoRoot, "deploy");

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Compose => Load(Path.Combine(Deploy, "docker-compose.yml"));

    private static YamlMappingNode Service(string name) => Merged((YamlMappingNode)((YamlMappingNode)Compose["services"])[name]);

    private static Dictionary<string, string> Environment(YamlMappingNode service) =>
        service.Children.TryGetValue("environment", out var env)
            ? Merged((YamlMappingNode)env).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value ?? "")
            : [];

    /// <summary>A mapping with its YAML merge key (<c>&lt;&lt;: *anchor</c>) applied, as Compose applies it: own keys win.</summary>
    private static YamlMappingNode Merged(YamlMappingNode node)
    {
        var merged = new YamlMappingNode();
        foreach (var (k, v) in node.Children.Where(kv => ((YamlScalarNode)kv.Key).Value != "<<")) merged.Add(k, v);
        if (node.Children.TryGetValue("<<", out var inherited))
        {
            foreach (var (k, v) in Merged((YamlMappingNode)inherited).Children.Where(kv => !merged.Children.ContainsKey(kv.Key))) merged.Add(k, v);
        }

        return merged;
    }

    /// <summary>FUZZFARM_* set by the Dockerfile's runtime stage (ENV lines, continued with backslashes).</summary>
    private static Dictionary<string, string> DockerfileEnvironment()
    {
        var text = File.ReadAllText(Path.Combine(Deploy, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        var runtime = text[text.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        return EnvPair().Matches(runtime).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    [GeneratedRegex(@"\b(FUZZFARM_[A-Z_]+)=(\S*)")]
    private static partial Regex EnvPair();

    private static IReadOnlySet<string> OptionVariables => FuzzFarmHostOptions.EnvironmentVariables.Select(e => e.Variable).ToHashSet();

    [Fact]
    public void EveryVariableTheSiloAndClientAreGiven_IsAnOptionOfTheSilo()
    {
        var given = Environment(Service("silo")).Keys.Concat(Environment(Service("client")).Keys).Concat(DockerfileEnvironment().Keys)
            .Where(k => k.StartsWith("FUZZFARM_", StringComparison.Ordinal)).Distinct().ToList();

        Assert.Contains("FUZZFARM_REDIS", given);
        Assert.All(given, v => Assert.True(OptionVariables.Contains(v), $"{v} is set for the silo but FuzzFarmHostOptions has no such option"));
    }

    [Fact]
    public void EveryOptionOfTheSilo_IsReadFromItsVariable_AndDocumentedForOperators()
    {
        var help = new StringWriter();
        Assert.Equal(0, FuzzFarm.Cli.CliApp.Run(["silo", "--help"], help, new StringWriter()));
        var readme = File.ReadAllText(Path.Combine(Deploy, "README.md"));
        foreach (var (variable, flag, _) in FuzzFarmHostOptions.EnvironmentVariables)
        {
            Assert.Contains(flag, help.ToString(), StringComparison.Ordinal);
            Assert.Contains($"[env {variable}]", help.ToString(), StringComparison.Ordinal);
            Assert.Contains(variable, readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheSilosEnvironment_IsAValidConfiguration_ThatAdvertisesARoutableAddress()
    {
        var env = DockerfileEnvironment();
        foreach (var (k, v) in Environment(Service("silo"))) env[k] = v;
        var options = new FuzzFarmHostOptions();
        foreach (var (variable, _, property) in FuzzFarmHostOptions.EnvironmentVariables)
        {
            if (!env.TryGetValue(variable, out var value)) continue;
            var p = typeof(FuzzFarmHostOptions).GetProperty(property)!;
            p.SetValue(options, p.PropertyType == typeof(int) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : value);
        }

        Assert.Empty(options.Validate());
        Assert.Equal("redis:6379", options.Redis);
        Assert.Equal("hostname", options.Advertise); // replicas each advertise their own container address
        Assert.Equal("0.0.0.0", options.HttpEndpoint!.Address.ToString());
    }

    [Fact]
    public void EveryService_HasAHealthCheckAndARestartPolicy_AndPublishesOnLoopbackOnly()
    {
        var services = (YamlMappingNode)Compose["services"];
        Assert.Equal(["client", "grafana", "otel-collector", "prometheus", "redis", "silo"],
            services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order(StringComparer.Ordinal));
        foreach (var (key, node) in services.Children)
        {
            var service = (YamlMappingNode)node;
            var name = ((YamlScalarNode)key).Value;
            Assert.True(service.Children.ContainsKey("healthcheck"), $"{name}: no healthcheck");
            Assert.True(service.Children.ContainsKey("restart"), $"{name}: no restart policy");
            if (!service.Children.TryGetValue("ports", out var ports)) continue;
            Assert.All(((YamlSequenceNode)ports).Children, p => Assert.StartsWith("127.0.0.1:", ((YamlScalarNode)p).Value, StringComparison.Ordinal));
        }

        // Scalable: no fixed container name and no fixed host port on the silo.
        Assert.False(Service("silo").Children.ContainsKey("container_name"));
        Assert.All(((YamlSequenceNode)Service("silo")["ports"]).Children, p => Assert.StartsWith("127.0.0.1::", ((YamlScalarNode)p).Value, StringComparison.Ordinal));
        // The one-shot client is not restarted after it succeeded.
        Assert.StartsWith("on-failure", ((YamlScalarNode)Service("client")["restart"]).Value, StringComparison.Ordinal);
    }

    [Fact]
    public void PrometheusScrapesTheSilos_OnThePortAndPathTheyServe()
    {
        var http = Environment(Service("silo"))["FUZZFARM_HTTP"];
        Assert.True(FuzzFarmHostOptions.TryParseEndpoint(http, out _, out var port));
        var scrape = (YamlSequenceNode)Load(Path.Combine(Deploy, "prometheus", "prometheus.yml"))["scrape_configs"];
        var silos = scrape.Children.Cast<YamlMappingNode>().Single(j => ((YamlScalarNode)j["job_name"]).Value == "fuzzfarm-silos");

        Assert.Equal("/metrics", ((YamlScalarNode)silos["metrics_path"]).Value);
        var dns = (YamlMappingNode)((YamlSequenceNode)silos["dns_sd_configs"]).Children.Single();
        Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), ((YamlScalarNode)dns["port"]).Value);
        Assert.Equal(["silo"], ((YamlSequenceNode)dns["names"]).Children.Select(n => ((YamlScalarNode)n).Value));
        // The scrape config Prometheus gets is the one in the repository.
        Assert.Contains(((YamlSequenceNode)Service("prometheus")["volumes"]).Children, v =>
            ((YamlScalarNode)v).Value!.StartsWith("./prometheus/prometheus.yml:", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryDashboard_IsProvisioned_WithTheDataSourceItNames()
    {
        var volumes = ((YamlSequenceNode)Service("grafana")["volumes"]).Children.Select(v => ((YamlScalarNode)v).Value!).ToList();
        var mount = volumes.Single(v => v.StartsWith("../dashboards:", StringComparison.Ordinal)).Split(':')[1];
        var provider = (YamlMappingNode)((YamlSequenceNode)Load(Path.Combine(Deploy, "grafana", "provisioning", "dashboards", "fuzzfarm.yml"))["providers"]).Children.Single();
        Assert.Equal(mount, ((YamlScalarNode)((YamlMappingNode)provider["options"])["path"]).Value);
        Assert.Contains(volumes, v => v.StartsWith("./grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards", StringComparison.Ordinal));
        Assert.Contains(volumes, v => v.StartsWith("./grafana/provisioning/datasources:/etc/grafana/provisioning/datasources", StringComparison.Ordinal));

        var source = (YamlMappingNode)((YamlSequenceNode)Load(Path.Combine(Deploy, "grafana", "provisioning", "datasources", "prometheus.yml"))["datasources"]).Children.Single();
        var uid = ((YamlScalarNode)source["uid"]).Value;
        Assert.Equal("http://prometheus:9090", ((YamlScalarNode)source["url"]).Value);

        var dashboards = Directory.GetFiles(Path.Combine(Corpus.RepoRoot, "dashboards"), "*.json");
        Assert.NotEmpty(dashboards);
        foreach (var file in dashboards)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            // "-- Grafana --" is Grafana's built-in source of the annotations list, present in every dashboard.
            var uids = DataSourceUids(doc.RootElement).Where(u => u != "-- Grafana --").Distinct().ToList();
            Assert.True(uids.Count > 0 && uids.All(u => u == uid || u.StartsWith("${", StringComparison.Ordinal)),
                $"{Path.GetFileName(file)} names data sources [{string.Join(", ", uids)}], provisioned is '{uid}'");
        }
    }

    private static IEnumerable<string> DataSourceUids(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name == "datasource" && p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("uid", out var u) && u.GetString() is { } s)
                    yield return s;
                foreach (var inner in DataSourceUids(p.Value)) yield return inner;
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
            {
                foreach (var inner in DataSourceUids(item)) yield return inner;
            }
        }
    }
}
