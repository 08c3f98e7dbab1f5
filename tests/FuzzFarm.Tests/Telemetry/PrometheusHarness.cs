using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FuzzFarm.Tests.Farm;

namespace FuzzFarm.Tests.Telemetry;

/// <summary>One PromQL answer: the API status, how many series (or an error), the raw body for failure messages.</summary>
internal sealed record PromQueryResult(string Status, int Count, string? Error, string Body)
{
    public bool HasData => Status == "success" && Count > 0;

    /// <summary>The first result's value (instant vector), NaN when there is none.</summary>
    public double First { get; init; } = double.NaN;

    public override string ToString() => Error is null ? $"{Status}, {Count} series" : $"{Status}: {Error}";
}

/// <summary>
/// A real <c>prometheus</c> process on a free loopback port with its own TSDB directory, scraping one target every
/// second, and its HTTP query API. <see cref="Dispose"/> kills it.
/// </summary>
internal sealed class PrometheusHarness : IDisposable
{
    public const string Job = "fuzzfarm";

    private readonly HarnessProcess _process;
    private readonly HttpClient _http;

    private PrometheusHarness(HarnessProcess process, int port)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string LogPath => _process.LogPath;

    public bool HasExited => _process.HasExited;

    /// <summary>The prometheus binary on PATH, or null.</summary>
    public static string? FindBinary() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "prometheus"))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts prometheus in <paramref name="dir"/> scraping <paramref name="target"/> (HOST:PORT) every second.</summary>
    public static PrometheusHarness Start(string binary, string dir, int port, string target)
    {
        // A 1 s scrape gives rate() its two samples within seconds; the timeout may not exceed the interval.
        var config = Path.Combine(dir, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: {Job}
                static_configs:
                  - targets: ['{target}']
            """);
        var process = HarnessProcess.Start(binary,
        [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir, "tsdb")}",
            $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
        ], Path.Combine(dir, "prometheus.log"));
        return new PrometheusHarness(process, port);
    }

    /// <summary>Waits until <c>/-/ready</c> answers 200; false if prometheus exits or the time runs out.</summary>
    public async Task<bool> WaitReady(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !_process.HasExited)
        {
            try
            {
                using var response = await _http.GetAsync(new Uri("-/ready", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode) return true;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200, cancellationToken);
        }

        return false;
    }

    /// <summary>An instant query through <c>/api/v1/query</c>, evaluated at <paramref name="time"/> (Unix seconds) when given.</summary>
    public async Task<PromQueryResult> Query(string expr, double? time, CancellationToken cancellationToken)
    {
        var url = "api/v1/query?query=" + Uri.EscapeDataString(expr);
        if (time is { } t) url += "&time=" + t.ToString("F3", CultureInfo.InvariantCulture);
        using var response = await _http.GetAsync(new Uri(url, UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var status = root.GetProperty("status").GetString() ?? "?";
            if (status != "success")
                return new PromQueryResult(status, 0, $"{Text(root, "errorType")}: {Text(root, "error")}", body);
            var result = root.GetProperty("data").GetProperty("result");
            if (result.ValueKind != JsonValueKind.Array) return new PromQueryResult(status, 1, null, body);
            var first = result.GetArrayLength() > 0 && result[0].TryGetProperty("value", out var v)
                ? double.Parse(v[1].GetString()!, CultureInfo.InvariantCulture)
                : double.NaN;
            return new PromQueryResult(status, result.GetArrayLength(), null, body) { First = first };
        }
        catch (JsonException e)
        {
            return new PromQueryResult($"HTTP {(int)response.StatusCode}", 0, $"not JSON ({e.Message})", body);
        }
    }

    /// <summary>What Grafana's <c>label_values(metric, label)</c> asks: <c>/api/v1/label/LABEL/values?match[]=METRIC</c>.</summary>
    public async Task<IReadOnlyList<string>> LabelValues(string label, string match, CancellationToken cancellationToken)
    {
        var url = $"api/v1/label/{Uri.EscapeDataString(label)}/values?match[]={Uri.EscapeDataString(match)}";
        var body = await _http.GetStringAsync(new Uri(url, UriKind.Relative), cancellationToken);
        using var doc = JsonDocument.Parse(body);
        return [.. doc.RootElement.GetProperty("data").EnumerateArray().Select(v => v.GetString() ?? "")];
    }

    public void Dispose()
    {
        _http.Dispose();
        _process.Dispose();
    }

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) ? p.GetString() ?? "" : "";
}
