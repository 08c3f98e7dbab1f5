using System.Diagnostics;
using static FuzzFarm.Telemetry.FuzzFarmTelemetry;

namespace FuzzFarm.Tests.Farm;

/// <summary>
/// The telemetry of a campaign on the three-silo test cluster, seen from inside the process (every silo's meter and
/// spans): finding → minimization → aggregation form one trace across silos; the machine instruments add up.
/// </summary>
public sealed partial class TestClusterTests
{
    private static bool OfCampaign(Activity a) =>
        a.GetTagItem(Tags.Machine) is string m && m.StartsWith(FarmClusterFixture.CampaignName + "/", StringComparison.Ordinal);

    [Fact]
    public async Task FindingSpans_AreContinuedByTheAggregator_InTheSameTrace_AcrossSilos()
    {
        var o = await fixture.Campaign();
        var spans = fixture.Spans.ToArray();
        var findings = spans.Where(a => a.Source.Name == ActivitySourceName && a.OperationName == Activities.Finding && OfCampaign(a)).ToList();
        var aggregates = spans.Where(a => a.OperationName == Activities.Aggregate && OfCampaign(a)).ToList();

        Assert.NotEmpty(findings);
        Assert.Equal(o.Journaled.Count, findings.Count(f => aggregates.Any(g => g.ParentSpanId == f.SpanId)));
        foreach (var f in findings)
        {
            Assert.Equal(default, f.ParentSpanId); // a finding starts its own trace
            var minimize = Assert.Single(spans, s => s.OperationName == Activities.Minimize && s.ParentSpanId == f.SpanId);
            Assert.Equal(f.TraceId, minimize.TraceId);
            Assert.InRange(minimize.Duration, TimeSpan.Zero, f.Duration);
            foreach (var g in aggregates.Where(g => g.ParentSpanId == f.SpanId))
            {
                Assert.Equal(f.TraceId, g.TraceId);
                Assert.Equal(f.GetTagItem(Tags.Machine), g.GetTagItem(Tags.Machine));
                Assert.Equal(f.GetTagItem(Tags.Signature), g.GetTagItem(Tags.Signature));
                Assert.Contains((string)g.GetTagItem(Tags.Outcome)!, new[] { "new", "duplicate", "smaller" });
            }
        }

        // Machine grains live on all three silos, the aggregator on one: some trace crosses silos.
        Assert.Contains(findings, f => aggregates.Any(g => g.ParentSpanId == f.SpanId && !Equals(g.GetTagItem(Tags.Silo), f.GetTagItem(Tags.Silo))));
        var start = Assert.Single(spans, a => a.OperationName == Activities.CampaignStart && Equals(a.GetTagItem(Tags.Campaign), FarmClusterFixture.CampaignName));
        Assert.Equal(o.Started.Machines.Count, start.GetTagItem(Tags.Machines));
    }

    [Fact]
    public async Task MachineInstruments_MatchTheCampaignStatus_AndFindingsAreCountedOncePerSignature()
    {
        var o = await fixture.Campaign();
        var observed = fixture.Observe();
        var executions = observed.Where(m => m.Instrument == Instruments.Executions && m.Tags[Tags.Campaign] == FarmClusterFixture.CampaignName).ToList();

        // One series per machine grain, on whichever silo it is active, each equal to the grain's own count.
        Assert.Equal(o.Final.Machines.Select(m => m.Key).Order(StringComparer.Ordinal), executions.Select(e => e.Tags[Tags.Machine]).Order(StringComparer.Ordinal));
        foreach (var m in o.Final.Machines) Assert.Equal(m.Executions, executions.Single(e => e.Tags[Tags.Machine] == m.Key).Value);
        Assert.All(observed.Where(m => m.Instrument == Instruments.OutboxDepth && m.Tags[Tags.Campaign] == FarmClusterFixture.CampaignName), m => Assert.Equal(0, m.Value));
        Assert.True(observed.Where(m => m.Instrument == Instruments.CoverageFeatures && m.Tags[Tags.Campaign] == FarmClusterFixture.CampaignName).All(m => m.Value > 0));
        Assert.True(observed.Where(m => m.Instrument == Instruments.ActiveMachineGrains).Sum(m => m.Value) >= o.Final.Machines.Count);

        // The aggregator's ledger: each root cause once per version that showed it, by variant and invariant.
        var signatures = observed.Where(m => m.Instrument == Instruments.Signatures).ToList();
        Assert.Equal(o.Findings.Sum(f => f.Variants.Count), signatures.Sum(m => m.Value));
        Assert.Equal(o.Matrix["realm-v2"]["tlb-conflict"], signatures.Single(m => m.Tags[Tags.Variant] == "realm-v2" && m.Tags[Tags.Invariant] == "tlb-conflict").Value);

        // New-finding counter: once per signature of this campaign's records (ledger is shared by the fixture's cluster only).
        var counted = fixture.Measured.Where(kv => kv.Key.StartsWith(Instruments.Findings + "|", StringComparison.Ordinal)).Sum(kv => kv.Value);
        Assert.Equal(o.Findings.Count, counted);
        var minimized = fixture.Measured.Where(kv => kv.Key.StartsWith(Instruments.MinimizationDuration + "|", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(minimized);
        Assert.All(minimized, kv => Assert.True(kv.Value >= 0));
    }
}
