using FuzzFarm.Farm;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;

namespace FuzzFarm.Tests.Farm;

/// <summary>
/// A campaign on a three-silo test cluster: two machine grains per variant find the same bugs, the aggregator keeps
/// one record per signature with both machines, and nothing a machine grain made durable is missing.
/// </summary>
public sealed partial class TestClusterTests(FarmClusterFixture fixture) : IClassFixture<FarmClusterFixture>
{
    private static string Describe(CampaignOutcome o) =>
        $"state {o.Final.State}, machines: {string.Join("; ", o.Final.Machines.Select(m => $"{m.Key} running={m.Running} execs={m.Executions} findings={m.Findings} outbox={m.Outbox} retries={m.Retries} silo={m.Silo}"))}; " +
        $"findings: {string.Join("; ", o.Findings.Select(f => $"{f.SignatureKey} [{string.Join(",", f.Machines)}] hits={f.Hits}"))}";

    [Fact]
    public async Task Campaign_StartsOneMachineGrainPerCombination_AndFinishesItsBudget()
    {
        var o = await fixture.Campaign();

        Assert.Equal(FarmClusterFixture.CampaignName, o.Started.Name);
        Assert.Equal(4, o.Started.Machines.Count); // 2 machines × 2 variants × 1 env
        Assert.Equal(4, o.Started.Machines.Select(m => m.Key).Distinct().Count());
        Assert.True(o.Finished, Describe(o));
        Assert.Equal("finished", o.Final.State);
        Assert.All(o.Final.Machines, m =>
        {
            Assert.False(m.Running, m.Key);
            Assert.True(m.Executions >= FarmClusterFixture.Spec.MaxExecutionsPerMachine, $"{m.Key}: {m.Executions} executions");
            Assert.Equal(0, m.Outbox); // everything reported was acknowledged
        });
        Assert.Equal(o.Final.Machines.Sum(m => m.Executions), o.Final.Executions);
        Assert.Equal(o.Findings.Count, o.Final.Findings);
    }

    [Fact]
    public async Task Aggregator_HasZ3sBringUpWindowOnRealmV2_AndTheCanary()
    {
        var o = await fixture.Campaign();

        Assert.True(o.Findings.Any(f => f.Invariant == "tlb-conflict" && f.Variants.Contains("realm-v2") && f.Detail.Contains("in bring-up", StringComparison.Ordinal)), Describe(o));
        Assert.True(o.Findings.Any(f => f.Variants.Contains("canary")), Describe(o));
        // Root causes are shared by versions: the same story on realm-v2 and on the canary (a copy of it) is one record.
        Assert.Contains(o.Findings, f => f.Variants.Count == 2);
        Assert.All(o.Findings, f =>
        {
            // The key names the invariant, not a version; the record's own variant is the kept reproducer's.
            Assert.StartsWith(f.Invariant + "--", f.SignatureKey, StringComparison.Ordinal);
            Assert.Contains(f.Variant, f.Variants);
            Assert.Contains($"variant {f.Variant}\n", f.SmallestTrace.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Equal(f.Variants.Order(StringComparer.Ordinal), f.VersionAssumptions.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("adversarial", f.Env);
            Assert.NotEmpty(f.SmallestTrace);
            Assert.InRange(f.FirstSeen, o.Started.Started!.Value, f.LastSeen);
        });
        Assert.Equal(o.Findings.Sum(f => f.Variants.Count), o.Matrix.Values.Sum(row => row.Values.Sum()));
        Assert.True(o.Matrix["realm-v2"]["tlb-conflict"] >= 1);
    }

    [Fact]
    public async Task Aggregator_DeduplicatesAcrossMachineGrains()
    {
        var o = await fixture.Campaign();
        var keys = o.Final.Machines.Select(m => m.Key).ToHashSet();

        Assert.NotEmpty(o.Findings);
        Assert.Equal(o.Findings.Count, o.Findings.Select(f => f.SignatureKey).Distinct().Count());
        Assert.Contains(o.Findings, f => f.Machines.Count >= 2);
        Assert.All(o.Findings, f =>
        {
            Assert.Equal(f.Machines.Order(StringComparer.Ordinal).Distinct(), f.Machines);
            Assert.All(f.Machines, m => Assert.Contains(m, keys));
            // The machine grains that reported it are exactly those of the record's versions.
            Assert.Equal(f.Variants, f.Machines.Select(m => m.Split('/')[1]).Distinct().Order(StringComparer.Ordinal));
            // A session reports a signature once, so a record's hits are its machines: no report was counted twice.
            Assert.Equal(f.Machines.Count, f.Hits);
        });
    }

    [Fact]
    public async Task MachineGrains_AreSpreadEvenlyOverTheSilos()
    {
        var o = await fixture.Campaign();

        // 4 machine grains on 3 silos: 2/1/1 (even placement; hash placement may put 3 on one silo).
        var perSilo = o.Final.Machines.GroupBy(m => m.Silo).ToDictionary(g => g.Key, g => g.Count());
        Assert.DoesNotContain("unreachable", perSilo.Keys);
        Assert.Equal(3, fixture.Cluster.GetActiveSilos().Count());
        Assert.Equal(3, perSilo.Count);
        Assert.True(perSilo.Values.Max() - perSilo.Values.Min() <= 1, Describe(o));
    }

    [Fact]
    public async Task EveryJournaledReport_ReachedTheAggregator_ExactlyOnce()
    {
        var o = await fixture.Campaign();
        var journaled = o.Journaled.DistinctBy(r => (r.MachineKey, r.Sequence)).ToList();
        var records = o.Findings.ToDictionary(f => f.SignatureKey);

        Assert.NotEmpty(journaled);
        Assert.All(journaled, r =>
        {
            Assert.True(records.TryGetValue(r.SignatureKey, out var rec), $"{r.MachineKey}#{r.Sequence} {r.SignatureKey} is not in the aggregator");
            Assert.Contains(r.MachineKey, rec.Machines);
            // The kept reproducer needs the fewest assumptions, then the fewest events.
            var kept = (FindingsLedger.AssumptionCount(rec.Assumptions), rec.SmallestEvents);
            var reported = (FindingsLedger.AssumptionCount(r.Assumptions), r.Events);
            Assert.True(kept.CompareTo(reported) <= 0, $"{r.SignatureKey}: kept {kept}, {r.MachineKey} reported {reported}");
        });

        // Each machine numbered its reports 1..n without a gap, and the aggregator counted each once.
        foreach (var m in o.Final.Machines)
        {
            var seqs = journaled.Where(r => r.MachineKey == m.Key).Select(r => r.Sequence).Order().ToList();
            Assert.Equal(Enumerable.Range(1, m.Findings).Select(i => (long)i), seqs);
        }

        Assert.Equal(journaled.Count, o.Findings.Sum(f => f.Hits));
        Assert.Equal(journaled.Select(r => r.SignatureKey).Distinct().Order(StringComparer.Ordinal), o.Findings.Select(f => f.SignatureKey).Order(StringComparer.Ordinal));
    }
}

/// <summary>
/// The aggregator grain's acknowledgement rule, on the grain object without a silo: a batch is acknowledged only once
/// the ledger holding it has been written to grain storage.
/// </summary>
public sealed class AggregatorDurabilityTests
{
    private static readonly Serializer _serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    /// <summary>
    /// Grain storage whose first writes fail (a storage blip). Like real storage it keeps a serialized copy: a read
    /// gives back what was last written, not the object the grain went on changing.
    /// </summary>
    private sealed class FlakyState(int failures) : IPersistentState<LedgerState>
    {
        private int _failures = failures;
        private byte[]? _stored;

        public LedgerState State { get; set; } = new();

        public string? Etag { get; private set; }

        public bool RecordExists => _stored is not null;

        /// <summary>The signatures each successful write stored.</summary>
        public List<string> Written { get; } = [];

        public Task ClearStateAsync()
        {
            _stored = null;
            State = new LedgerState();
            return Task.CompletedTask;
        }

        public Task ReadStateAsync()
        {
            State = _stored is null ? new LedgerState() : _serializer.Deserialize<LedgerState>(_stored) ?? new LedgerState();
            return Task.CompletedTask;
        }

        public Task WriteStateAsync()
        {
            if (_failures-- > 0) throw new InvalidOperationException("storage unavailable");
            _stored = _serializer.SerializeToArray(State);
            Written.Add(string.Join(",", State.Records.Keys.Order(StringComparer.Ordinal)));
            Etag = Written.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task BatchWhoseWriteFailed_IsNotAcknowledgedOnRedelivery_BeforeItIsDurable()
    {
        var storage = new FlakyState(failures: 1);
        using var capture = new FuzzFarm.Tests.Telemetry.MetricsCapture();
        var grain = new AggregatorGrain(storage, new NoFindingSink(), capture.Metrics, TimeProvider.System, NullLogger<AggregatorGrain>.Instance);
        await grain.OnActivateAsync(CancellationToken.None);
        FindingReport[] batch = [FarmReports.Report("m", 1, "sig-a")];

        await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Ingest(batch)); // not acknowledged: the machine keeps it
        var retry = await grain.Ingest(batch); // the machine grain's retry is acknowledged...

        Assert.Equal(["sig-a"], storage.Written); // ...so by then the report must be in storage
        Assert.Equal(new IngestResult(NewSignatures: 1, 0, 0, Replayed: 0), retry);
        var record = Assert.Single(await grain.Findings());
        Assert.Equal(1, record.Hits);
        // Counted once: the failed attempt recorded nothing.
        Assert.Equal(1, capture.Sum(FuzzFarm.Telemetry.FuzzFarmTelemetry.Instruments.Findings));
        Assert.Equal(1, capture.Sum(FuzzFarm.Telemetry.FuzzFarmTelemetry.Instruments.ReportsIngested));
    }
}
