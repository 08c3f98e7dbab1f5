using System.Collections.Concurrent;
using System.Net;
using System.Text;
using FuzzFarm.Cli;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Tests.Farm;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Tests.Telemetry;

/// <summary>
/// A real silo (in this process) with its HTTP listener and an OTLP endpoint: Prometheus text at /metrics with
/// FuzzFarm's and Orleans' series, /healthz and the health command, and OTLP/HTTP exports of metrics and traces
/// reaching a receiver on loopback.
/// </summary>
public sealed class SiloTelemetryTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-otel-{Guid.NewGuid():N}");
    private readonly HttpListener _receiver = new();
    private readonly ConcurrentQueue<(string Path, string ContentType, byte[] Body)> _received = new();
    private IHost? _silo;
    private Uri _web = null!;

    public async ValueTask InitializeAsync()
    {
        var ports = ProcessHarness.FreePorts(3);
        _receiver.Prefixes.Add($"http://127.0.0.1:{ports[2]}/");
        _receiver.Start();
        _ = Task.Run(Receive);
        // The SDK reads these through configuration: export every half second instead of every minute.
        Environment.SetEnvironmentVariable("OTEL_METRIC_EXPORT_INTERVAL", "500");
        Environment.SetEnvironmentVariable("OTEL_BSP_SCHEDULE_DELAY", "200");
        _silo = FuzzFarmSilo.Build(new FuzzFarmHostOptions
        {
            DataDirectory = _dir, SiloPort = ports[0], GatewayPort = ports[1], ClusterId = "otel-" + Guid.NewGuid().ToString("N")[..8],
            Http = "127.0.0.1:0", Otlp = $"http://127.0.0.1:{ports[2]}", OtlpProtocol = "http/protobuf",
        });
        await _silo.StartAsync();
        _web = FuzzFarmSilo.HttpAddress(_silo)!;
        var campaign = _silo.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>("otel");
        await campaign.Start(new CampaignSpec
        {
            Machines = ["cpus=2 bbml2=0 ram=4G"], Variants = ["realm-v2"], Envs = ["adversarial"], Seed = 2, MaxSeconds = 20,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
        }

        _receiver.Close();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private async Task Receive()
    {
        while (_receiver.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _receiver.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            _received.Enqueue((context.Request.Url!.AbsolutePath, context.Request.ContentType ?? "", body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    private bool Received(string path, string name) =>
        _received.Any(r => r.Path == path && r.ContentType.Contains("protobuf", StringComparison.Ordinal) &&
            Encoding.UTF8.GetString(r.Body).Contains(name, StringComparison.Ordinal));

    [Fact]
    public async Task Silo_ServesPrometheusText_Health_AndExportsOtlpMetricsAndTraces()
    {
        using var http = new HttpClient { BaseAddress = _web };
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        string metrics = "";
        while (DateTimeOffset.UtcNow < deadline)
        {
            metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative), TestContext.Current.CancellationToken);
            // (The finding series exist at zero from the campaign's start: wait for an acknowledged finding's histogram.)
            if (metrics.Contains("fuzzfarm_minimization_duration_seconds_bucket{", StringComparison.Ordinal) && Received("/v1/metrics", "fuzzfarm.executions")
                && Received("/v1/traces", "fuzzfarm.finding") && Received("/v1/traces", "fuzzfarm.minimize") && Received("/v1/traces", "fuzzfarm.aggregate")) break;
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        Assert.Contains("# TYPE fuzzfarm_executions_total counter", metrics, StringComparison.Ordinal);
        Assert.Contains("fuzzfarm_executions_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("campaign=\"otel\"", metrics, StringComparison.Ordinal);
        Assert.Contains("fuzzfarm_findings_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("fuzzfarm_reports_ingested_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("fuzzfarm_minimization_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
        Assert.Contains("\norleans_", metrics, StringComparison.Ordinal); // Orleans' own meter
        Assert.True(Received("/v1/metrics", "fuzzfarm.executions"), Describe());
        Assert.True(Received("/v1/traces", "fuzzfarm.finding") && Received("/v1/traces", "fuzzfarm.minimize") && Received("/v1/traces", "fuzzfarm.aggregate"), Describe());

        Assert.Equal("healthy", (await http.GetStringAsync(new Uri("healthz", UriKind.Relative), TestContext.Current.CancellationToken)).Trim());
        var o = new StringWriter();
        Assert.Equal(ExitCodes.Clean, CliApp.Run(["health", "--url", new Uri(_web, "healthz").ToString()], o, new StringWriter()));
        Assert.Contains("200 healthy", o.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void HealthCommand_AgainstNothing_ExitsOne_NamingTheUrl()
    {
        var port = ProcessHarness.FreePorts(1)[0];
        var e = new StringWriter();
        Assert.Equal(ExitCodes.Violation, CliApp.Run(["health", "--url", $"http://127.0.0.1:{port}/healthz", "--timeout", "2"], new StringWriter(), e));
        Assert.Contains($"127.0.0.1:{port}", e.ToString(), StringComparison.Ordinal);
        Assert.Contains("not answering", e.ToString(), StringComparison.Ordinal);
    }

    private string Describe() =>
        "received: " + string.Join("; ", _received.Select(r => $"{r.Path} {r.ContentType} {r.Body.Length} B"));
}
