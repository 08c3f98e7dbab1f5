using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Host.Web;

/// <summary>One sample of the figures <c>/api/status</c> gives: per campaign and per machine grain, at one time.</summary>
internal sealed record HistorySample(
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("campaigns")] IReadOnlyList<HistoryPoint> Campaigns,
    [property: JsonPropertyName("machines")] IReadOnlyList<HistoryPoint> Machines);

/// <summary>A campaign's or a machine grain's cumulative figures (executions, coverage features, root causes).</summary>
internal sealed record HistoryPoint(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("executions")] long Executions,
    [property: JsonPropertyName("features")] long Features,
    [property: JsonPropertyName("root_causes")] long RootCauses);

/// <summary>
/// The dashboard's plots over time: samples of the same status the page polls, every <see cref="Period"/>. Kept in
/// memory (at most <see cref="Capacity"/> samples: when full, every other one is dropped, so the whole run stays in
/// view at a coarser step) and, on a single silo with a data directory, appended to <c>DATA/history.jsonl</c> so
/// <c>fuzzfarm serve</c> shows the plots of a finished campaign and a restarted run continues them.
/// </summary>
internal sealed class StatusHistory
{
    public const int Capacity = 720;
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);
    private static readonly JsonSerializerOptions _json = new() { WriteIndented = false };
    private readonly List<HistorySample> _samples = [];
    private readonly Lock _gate = new();
    private readonly string? _file;

    /// <param name="file">The JSON-lines file to load and append to, or null (memory only).</param>
    public StatusHistory(string? file = null)
    {
        _file = file;
        if (file is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        if (!File.Exists(file)) return;
        foreach (var line in File.ReadLines(file))
        {
            // A line cut by a crash, or not a sample: skipped (the plots lose a point, nothing else depends on it).
            try
            {
                if (JsonSerializer.Deserialize<HistorySample>(line, _json) is { Campaigns: not null, Machines: not null } s) Keep(s);
            }
            catch (JsonException)
            {
            }
        }
    }

    public IReadOnlyList<HistorySample> Samples
    {
        get
        {
            lock (_gate) return [.. _samples];
        }
    }

    /// <summary>Records the figures of <paramref name="snapshot"/> (and appends them to the file, if any).</summary>
    public void Add(DashboardSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var sample = new HistorySample(
            snapshot.Time,
            [.. snapshot.Campaigns.Select(c => new HistoryPoint(c.Name, c.Executions, c.Machines.Sum(m => (long)m.Features), c.Findings))],
            [.. snapshot.Campaigns.SelectMany(c => c.Machines).Select(m => new HistoryPoint(m.Key, m.Executions, m.Features, m.Findings))]);
        lock (_gate)
        {
            // No campaign yet, or nothing moved since the last sample (a finished campaign being served): no new point.
            if (sample.Campaigns.Count == 0) return;
            if (_samples.Count > 0 && Same(_samples[^1], sample)) return;
            Keep(sample);
            if (_file is not null) File.AppendAllText(_file, JsonSerializer.Serialize(sample, _json) + "\n");
        }
    }

    private void Keep(HistorySample s)
    {
        _samples.Add(s);
        if (_samples.Count <= Capacity) return;
        for (var i = 1; i < _samples.Count - 1; i += 1) _samples.RemoveAt(i); // every other one, the last kept
    }

    private static bool Same(HistorySample a, HistorySample b) =>
        a.Campaigns.SequenceEqual(b.Campaigns) && a.Machines.SequenceEqual(b.Machines);
}

/// <summary>Samples the dashboard's status into <see cref="StatusHistory"/> while the silo runs.</summary>
internal sealed class StatusHistorySampler(StatusHistory history, IGrainFactory grains, TimeProvider time, IHostApplicationLifetime life, ILogger<StatusHistorySampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(StatusHistory.Period, time);
        try
        {
            // Not before the silo serves grains (a call during start-up only logs placement retries).
            await Task.Delay(Timeout.Infinite, life.ApplicationStarted).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(stoppingToken);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    history.Add(await DashboardSnapshot.Load(grains, time));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The silo is starting or stopping, or a grain did not answer in time: the next tick tries again.
                    logger.LogDebug(e, "status sample skipped");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
