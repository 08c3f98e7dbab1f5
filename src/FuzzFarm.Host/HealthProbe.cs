using System.Diagnostics;
using FuzzFarm.Farm;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace FuzzFarm.Host;

/// <summary>
/// What <c>/healthz</c> answers beyond "the host has started": the silo's membership table and its grain storage
/// (Redis in a cluster, files in local mode) both answer, within <see cref="Timeout"/>, and the table lists this silo
/// as active. A Redis that is unreachable or frozen (SIGSTOP, <c>DEBUG SLEEP</c>) makes it unhealthy within that time.
/// </summary>
/// <remarks>
/// One probe is in flight at a time: requests arriving while it runs wait for it (up to the timeout) instead of
/// starting their own, so a frozen Redis is not buried under health checks; a finished probe is reused for
/// <see cref="Reuse"/>.
/// </remarks>
public sealed class HealthProbe(IServiceProvider services)
{
    private static readonly GrainId ProbeGrain = GrainId.Create("fuzzfarm-healthz", "probe");

    private readonly Lock _gate = new();
    private Task<string?>? _probe;
    private long _probeStarted;

    /// <summary>The longest a probe may take before the silo is reported unhealthy (the health command waits 3 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a finished probe's answer is reused.</summary>
    public TimeSpan Reuse { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Null when membership and storage answer; otherwise why not, in one line.</summary>
    public async Task<string?> Check(CancellationToken ct)
    {
        Task<string?> probe;
        lock (_gate)
        {
            if (_probe is null || (_probe.IsCompleted && Stopwatch.GetElapsedTime(_probeStarted) > Reuse))
            {
                _probeStarted = Stopwatch.GetTimestamp();
                _probe = Task.Run(Probe, CancellationToken.None);
            }

            probe = _probe;
        }

        var waited = Stopwatch.GetElapsedTime(_probeStarted);
        var left = Timeout - waited;
        if (left > TimeSpan.Zero && await Task.WhenAny(probe, Task.Delay(left, ct)) == probe) return await probe;
        return probe.IsCompleted
            ? await probe
            : $"membership table and grain storage: no answer within {Timeout.TotalSeconds:0.#} s (probe running for {Stopwatch.GetElapsedTime(_probeStarted).TotalSeconds:0.#} s)";
    }

    private async Task<string?> Probe()
    {
        var problems = new List<string>();
        var membership = Membership();
        var storage = Storage();
        if (await membership is { } m) problems.Add("membership: " + m);
        if (await storage is { } s) problems.Add("storage: " + s);
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private async Task<string?> Membership()
    {
        if (services.GetService<IMembershipTable>() is not { } table) return null;
        try
        {
            var self = services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            using var cts = new CancellationTokenSource(Timeout * 3);
            var data = await table.ReadAllAsync(cts.Token);
            var entry = data.Members.Select(m => m.Item1).FirstOrDefault(e => e.SiloAddress.Equals(self));
            if (entry is null) return $"this silo ({self}) is not in the membership table";
            return entry.Status == SiloStatus.Active ? null : $"this silo ({self}) is {entry.Status} in the membership table";
        }
        catch (Exception e)
        {
            return OneLine(e);
        }
    }

    private async Task<string?> Storage()
    {
        if (services.GetKeyedService<IGrainStorage>(FarmKeys.Storage) is not { } storage) return null;
        try
        {
            // A key that is never written: the read is a round trip to the store and nothing is deserialized.
            await storage.ReadStateAsync("healthz", ProbeGrain, new GrainState<ProbeState>());
            return null;
        }
        catch (Exception e)
        {
            return OneLine(e);
        }
    }

    private static string OneLine(Exception e)
    {
        while (e.InnerException is { } inner && e is AggregateException or OrleansException) e = inner;
        return e.Message.ReplaceLineEndings(" ");
    }

    /// <summary>The probe's (never written) state type: the storage creates an empty one for a missing key.</summary>
    private sealed class ProbeState;
}
