using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FuzzFarm.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace FuzzFarm.Tests.Telemetry;

/// <summary>
/// A private <see cref="FuzzFarmMetrics"/> (its own meter factory) and a <see cref="MeterListener"/> on exactly that
/// meter: what the instruments measured, summed per instrument and tag set.
/// </summary>
internal sealed class MetricsCapture : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new();
    private readonly ConcurrentDictionary<string, double> _last = new();

    public MetricsCapture()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = _services.GetRequiredService<IMeterFactory>();
        Metrics = new FuzzFarmMetrics(factory);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == FuzzFarmTelemetry.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public FuzzFarmMetrics Metrics { get; }

    /// <summary>Sum of the recorded measurements of an event-driven instrument, over tag sets matching <paramref name="where"/>.</summary>
    public double Sum(string instrument, string? where = null) =>
        _sums.Where(kv => kv.Key.StartsWith(instrument + "|", StringComparison.Ordinal) && (where is null || kv.Key.Contains(where, StringComparison.Ordinal))).Sum(kv => kv.Value);

    /// <summary>Observes the observable instruments now; returns instrument|tags → value.</summary>
    public IReadOnlyDictionary<string, double> Observe()
    {
        _last.Clear();
        _listener.RecordObservableInstruments();
        return new Dictionary<string, double>(_last);
    }

    public void Dispose()
    {
        _listener.Dispose();
        Metrics.Dispose();
        _services.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = instrument.Name + "|" + string.Join(",", tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
        if (instrument.IsObservable) _last[key] = value;
        else _sums.AddOrUpdate(key, value, (_, v) => v + value);
    }
}
