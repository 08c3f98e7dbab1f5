using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Cli;
using FuzzFarm.Tests.Farm;
using Metric = FuzzFarm.Telemetry.FuzzFarmTelemetry.Prometheus;

namespace FuzzFarm.Tests.Telemetry;

/// <summary>The dashboard test runs alone: a silo fuzzing and Prometheus scraping it every second need the cores.</summary>
[CollectionDefinition(nameof(DashboardCollection), DisableParallelization = true)]
public sealed class DashboardCollection;

/// <summary>
/// The Grafana dashboards in <c>dashboards/</c> against what a silo really exports: a <c>fuzzfarm silo</c> process runs
/// a small campaign, a real <c>prometheus</c> scrapes it every second, and every panel's every query, with Grafana's
/// variables substituted, must return data.
/// </summary>
[Collection(nameof(DashboardCollection))]
public sealed class DashboardQueryTests(ITestOutputHelper output) : IDisposable
{
    private const string Campaign = "dashboards";
    private const string RateInterval = "15s";

    /// <summary>
    /// What Grafana puts for its built-in variables on a "last 5 minutes" view of a 1 s scrape (the rate interval
    /// holds ≥ 2 scrapes even with a late one).
    /// </summary>
    private static readonly Dictionary<string, string> _builtins = new(StringComparer.Ordinal)
    {
        ["__rate_interval"] = RateInterval, ["__interval"] = "5s", ["__interval_ms"] = "5000",
        ["__range"] = "5m", ["__range_s"] = "300", ["__range_ms"] = "300000",
    };

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-dash-{Guid.NewGuid():N}");
    private readonly string _clusterId = $"dash-{Guid.NewGuid():N}"[..17];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private HarnessProcess? _silo;
    private PrometheusHarness? _prometheus;
    private bool _passed;

    [Fact]
    public void Dashboards_HaveUniqueUids_AndEveryPanelQueriesThePrometheusDatasource()
    {
        var dashboards = GrafanaDashboards.Load();
        Assert.True(dashboards.Count >= 2, $"expected the overview and campaign dashboards in {GrafanaDashboards.Folder}, found {dashboards.Count}");
        var problems = new List<string>();
        foreach (var d in dashboards)
        {
            if (string.IsNullOrWhiteSpace(d.Uid) || string.IsNullOrWhiteSpace(d.Title)) problems.Add($"{d}: no uid or title");
            var known = _builtins.Keys.Concat(d.Variables.Select(v => v.Name)).ToDictionary(k => k, k => k, StringComparer.Ordinal);
            var filtered = d.Variables.Any(v => v.Name == "campaign");
            foreach (var p in d.Panels.Where(p => !p.IsRow))
            {
                if (p.DatasourceType != "prometheus" || p.DatasourceUid != "prometheus")
                    problems.Add($"{p}: datasource {p.DatasourceType ?? "none"}/{p.DatasourceUid ?? "none"}, expected prometheus/prometheus");
                if (p.Targets.Count == 0) problems.Add($"{p}: no targets");
                foreach (var t in p.Targets)
                {
                    if (string.IsNullOrWhiteSpace(t.Expr)) problems.Add($"{p} [{t.RefId}]: no expr");
                    if (t.DatasourceUid is { } uid && uid != "prometheus") problems.Add($"{p} [{t.RefId}]: target datasource {uid}");
                    GrafanaDashboards.Substitute(t.Expr ?? "", known, out var unknown);
                    if (unknown.Count > 0) problems.Add($"{p} [{t.RefId}]: unknown variable(s) {string.Join(", ", unknown)}");
                    // A campaign dashboard shows one campaign: every query is narrowed by the variable.
                    if (filtered && t.Expr?.Contains("$campaign", StringComparison.Ordinal) == false)
                        problems.Add($"{p} [{t.RefId}]: not filtered by $campaign: {t.Expr}");
                }
            }
        }

        var duplicates = dashboards.Where(d => d.Uid is not null).GroupBy(d => d.Uid, StringComparer.Ordinal).Where(g => g.Count() > 1);
        problems.AddRange(duplicates.Select(g => $"uid '{g.Key}' used by {string.Join(", ", g)}"));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task EveryPanelQuery_ReturnsData_FromPrometheusScrapingARealSilo()
    {
        var binary = PrometheusHarness.FindBinary();
        if (binary is null)
            Assert.Fail("prometheus is not on PATH: CI installs the `prometheus` Debian package (.ci/run); locally `sudo apt-get install prometheus`");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(100));
        var ct = limit.Token;
        Directory.CreateDirectory(_dir);
        var ports = ProcessHarness.FreePorts(4);
        var (siloPort, gatewayPort, httpPort, prometheusPort) = (ports[0], ports[1], ports[2], ports[3]);
        Log($"dir {_dir}; silo {siloPort}, gateway {gatewayPort}, metrics 127.0.0.1:{httpPort}, prometheus 127.0.0.1:{prometheusPort}");
        try
        {
            await StartSilo(siloPort, gatewayPort, httpPort, ct);
            _prometheus = PrometheusHarness.Start(binary, _dir, prometheusPort, $"127.0.0.1:{httpPort}");
            Assert.True(await _prometheus.WaitReady(TimeSpan.FromSeconds(30), ct), WithLogs("prometheus did not become ready within 30 s"));
            await StartCampaign(gatewayPort, ct);
            var at = await WaitForData(ct);
            var (queries, failures) = await RunEveryQuery(at, ct);
            Log($"{queries} queries from {GrafanaDashboards.Load().Count} dashboards checked at t={at:F3}, {failures.Count} without data; total {_clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(failures.Count == 0, WithLogs($"{failures.Count} of {queries} dashboard queries returned no data:\n{string.Join('\n', failures)}"));
            _passed = true;
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail(WithLogs($"gave up after {_clock.Elapsed.TotalSeconds:F0} s"));
        }
    }

    private async Task StartSilo(int siloPort, int gatewayPort, int httpPort, CancellationToken ct)
    {
        _silo = HarnessProcess.Start(ProcessHarness.Dotnet,
        [
            ProcessHarness.FuzzFarmDll, "silo", "--data", Path.Combine(_dir, "data"), "--address", "127.0.0.1",
            "--silo-port", Invariant(siloPort), "--gateway-port", Invariant(gatewayPort), "--cluster-id", _clusterId,
            "--http", $"127.0.0.1:{Invariant(httpPort)}",
        ], Path.Combine(_dir, "silo.log"));
        Assert.True(await _silo.WaitForOutput("silo up", TimeSpan.FromSeconds(60), ct), WithLogs("the silo did not come up within 60 s"));
        Log("silo up");
    }

    /// <summary>
    /// Four machine grains, not <c>fuzzfarm run</c>'s 48: on a 2-core machine 48 grains keep the thread pool so busy
    /// that /metrics takes seconds to answer, longer than the 1 s scrape timeout.
    /// </summary>
    private async Task StartCampaign(int gatewayPort, CancellationToken ct)
    {
        var r = await ProcessHarness.Run(ProcessHarness.Dotnet,
        [
            ProcessHarness.FuzzFarmDll, "campaign", "start", "--name", Campaign, "--machine", "swarm", "--variants", "canary,realm-v1",
            "--envs", "strict,adversarial", "--max-seconds", "300", "--gateway-port", Invariant(gatewayPort), "--cluster-id", _clusterId,
        ], TimeSpan.FromSeconds(60), ct);
        Assert.True(r.Code == ExitCodes.Clean, WithLogs($"campaign start failed: {r}"));
        Log(r.Out.Trim());
    }

    /// <summary>
    /// Waits until the last scrape succeeded, every machine grain of the campaign has two samples within the rate
    /// interval and a finding has too; returns that scrape's time. Every query is evaluated at it, so a scrape that
    /// times out later (its staleness markers blank the gauges) cannot make a panel look empty.
    /// </summary>
    private async Task<double> WaitForData(CancellationToken ct)
    {
        var prometheus = _prometheus!;
        string[] ready =
        [
            $"min(count_over_time({Metric.Executions}{{campaign=\"{Campaign}\"}}[{RateInterval}]))",
            $"max(count_over_time({Metric.Findings}[{RateInterval}]))",
        ];
        var deadline = _clock.Elapsed + TimeSpan.FromSeconds(60);
        var state = "no successful scrape yet";
        while (_clock.Elapsed < deadline)
        {
            Assert.False(_silo!.HasExited || prometheus.HasExited, WithLogs($"a process exited while waiting for data ({state})"));
            var up = await prometheus.Query($"timestamp(up{{job=\"{PrometheusHarness.Job}\"}} == 1)", null, ct);
            if (up.HasData)
            {
                var at = up.First;
                var samples = new List<double>();
                foreach (var q in ready) samples.Add((await prometheus.Query(q, at, ct)).First);
                state = $"scraped at {at:F3}: fewest samples per machine grain {samples[0]}, most per finding {samples[1]} (in {RateInterval})";
                if (samples.All(s => s >= 2))
                {
                    Log($"data ready: {state}");
                    return at;
                }
            }

            await Task.Delay(500, ct);
        }

        Assert.Fail(WithLogs($"no data to check within 60 s: {state}"));
        return 0;
    }

    /// <summary>Every target of every panel of every dashboard, at <paramref name="at"/>; the number run and the failures.</summary>
    private async Task<(int Queries, List<string> Failures)> RunEveryQuery(double at, CancellationToken ct)
    {
        var prometheus = _prometheus!;
        var failures = new List<string>();
        var queries = 0;
        foreach (var d in GrafanaDashboards.Load())
        {
            var values = new Dictionary<string, string>(_builtins, StringComparer.Ordinal);
            foreach (var v in d.Variables)
            {
                // Resolved as Grafana resolves them; the campaign variable must offer the running campaign.
                var source = GrafanaDashboards.LabelValues(v.Query);
                var offered = source is { } s ? await prometheus.LabelValues(s.Label, s.Metric, ct) : [];
                queries++;
                if (v.Name == "campaign" && !offered.Contains(Campaign, StringComparer.Ordinal))
                    failures.Add($"{d} variable '{v.Name}' ({v.Query}) offers [{string.Join(", ", offered)}], not '{Campaign}'");
                values[v.Name] = v.Name == "campaign" ? Campaign : offered.FirstOrDefault() ?? ".*";
            }

            foreach (var p in d.Panels)
            {
                foreach (var t in p.Targets.Where(t => !string.IsNullOrWhiteSpace(t.Expr)))
                {
                    var expr = GrafanaDashboards.Substitute(t.Expr!, values, out var unknown);
                    queries++;
                    var r = unknown.Count == 0 ? await prometheus.Query(expr, at, ct) : null;
                    if (r is { HasData: true }) continue;
                    var why = r is null ? $"unknown variable(s) {string.Join(", ", unknown)}" : $"{r}; body {Cut(r.Body, 300)}";
                    failures.Add($"{p} [{t.RefId}]: {why}\n    expr: {t.Expr}\n    sent: {expr}");
                }
            }
        }

        return (queries, failures);
    }

    private string WithLogs(string message)
    {
        var logs = new[] { _silo?.LogPath, _prometheus?.LogPath }.OfType<string>()
            .Select(p => $"\n---- {p} (last lines)\n{ProcessHarness.Tail(p, 25)}");
        return $"{message}\n(files kept in {_dir}){string.Concat(logs)}";
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..length] + "…";

    private static string Invariant(int n) => n.ToString(CultureInfo.InvariantCulture);

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,5:F1}s] {message}");

    public void Dispose()
    {
        _prometheus?.Dispose();
        _silo?.Dispose();
        if (!_passed || !Directory.Exists(_dir)) return;
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: left in the temp directory.
        }
    }
}
