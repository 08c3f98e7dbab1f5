using System.Text;
using FuzzFarm.Farm;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace FuzzFarm.Tests.Farm;

/// <summary>Builders for finding reports and a canonical description of a ledger, for the ledger and folding tests.</summary>
internal static class FarmReports
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A report of <paramref name="signature"/> (a signature key) from <paramref name="machine"/>; the trace text names its origin.</summary>
    public static FindingReport Report(
        string machine, long sequence, string signature, int events = 10, int minute = 0, long hits = 1,
        string variant = "realm-v2", string invariant = "tlb-conflict") => new()
        {
            MachineKey = machine,
            Sequence = sequence,
            SignatureKey = signature,
            Title = $"title of {signature}",
            Variant = variant,
            Invariant = invariant,
            Where = "split_pud",
            Detail = $"detail of {signature}",
            Env = "adversarial",
            Trace = $"trace {signature} from {machine}#{sequence} ({events} events)",
            Events = events,
            FoundAtExecution = sequence * 100,
            FoundAt = T0.AddMinutes(minute),
            Assumptions = $"assumptions {machine}#{sequence}",
            Machine = "cpus=2 bbml2=0 ram=4G",
            Hits = hits,
        };

    /// <summary>Everything a ledger holds, as one comparable text (records by key, then sequences and counters).</summary>
    public static string Describe(FindingsLedger ledger)
    {
        var s = new StringBuilder();
        foreach (var r in ledger.State.Records.Values.OrderBy(r => r.SignatureKey, StringComparer.Ordinal))
        {
            s.AppendLine(
                $"{r.SignatureKey}|{r.Title}|{r.Variant}|{r.Invariant}|{r.Where}|{r.Detail}|{r.Env}|{r.SmallestTrace}|{r.SmallestEvents}|" +
                $"{r.FirstSeen:O}|{r.LastSeen:O}|{r.Hits}|{string.Join(',', r.Machines)}|{string.Join(',', r.Variants)}|{r.Assumptions}|{r.FirstReport}");
        }

        foreach (var (machine, seq) in ledger.State.LastSequence.OrderBy(kv => kv.Key, StringComparer.Ordinal)) s.AppendLine($"last {machine}={seq}");
        s.AppendLine($"accepted {ledger.State.ReportsAccepted} replays {ledger.State.ReplaysIgnored}");
        return s.ToString();
    }
}

/// <summary>The aggregator's ledger without Orleans: dedup by signature, smallest reproducer, exactly-once per (machine, sequence).</summary>
public sealed class LedgerTests
{
    private static FindingReport R(string machine, long sequence, string signature, int events = 10, int minute = 0, long hits = 1,
        string variant = "realm-v2", string invariant = "tlb-conflict") =>
        FarmReports.Report(machine, sequence, signature, events, minute, hits, variant, invariant);

    [Fact]
    public void NewSignature_CreatesARecordFromTheReport()
    {
        var ledger = new FindingsLedger();
        var report = R("m1", 1, "sig-a", events: 12, minute: 3);

        var result = ledger.Ingest([report]);

        Assert.Equal(new IngestResult(NewSignatures: 1, SmallerReproducers: 0, Duplicates: 0, Replayed: 0), result);
        Assert.Equal(1, ledger.Count);
        Assert.True(ledger.TryGet("sig-a", out var rec));
        Assert.Equal("sig-a", rec.SignatureKey);
        Assert.Equal(report.Title, rec.Title);
        Assert.Equal("realm-v2", rec.Variant);
        Assert.Equal("tlb-conflict", rec.Invariant);
        Assert.Equal(report.Where, rec.Where);
        Assert.Equal(report.Detail, rec.Detail);
        Assert.Equal(report.Env, rec.Env);
        Assert.Equal(report.Trace, rec.SmallestTrace);
        Assert.Equal(12, rec.SmallestEvents);
        Assert.Equal(report.Assumptions, rec.Assumptions);
        Assert.Equal(report.FoundAt, rec.FirstSeen);
        Assert.Equal(report.FoundAt, rec.LastSeen);
        Assert.Equal(1, rec.Hits);
        Assert.Equal(["m1"], rec.Machines);
        Assert.Equal(["realm-v2"], rec.Variants);
        Assert.Equal("m1#1", rec.FirstReport);
        Assert.Equal(1, ledger.State.LastSequence["m1"]);
        Assert.Equal(1, ledger.State.ReportsAccepted);
    }

    [Fact]
    public void NewSignature_CarriesTheReportsHits_AndCountsAtLeastOne()
    {
        var ledger = new FindingsLedger();
        ledger.Ingest([R("m1", 1, "sig-a", hits: 3), R("m1", 2, "sig-b", hits: 0)]);

        Assert.True(ledger.TryGet("sig-a", out var a));
        Assert.Equal(3, a.Hits);
        Assert.True(ledger.TryGet("sig-b", out var b));
        Assert.Equal(1, b.Hits);
    }

    [Fact]
    public void Duplicates_FromOtherMachines_AddHitsAndMachines_AndExtendLastSeen()
    {
        var ledger = new FindingsLedger();
        ledger.Ingest([R("m2", 1, "sig-a", minute: 10)]);

        var result = ledger.Ingest([R("m3", 1, "sig-a", minute: 20), R("m1", 1, "sig-a", minute: 15), R("m3", 2, "sig-a", minute: 30)]);

        Assert.Equal(new IngestResult(0, 0, Duplicates: 3, Replayed: 0), result);
        Assert.Equal(1, ledger.Count);
        Assert.True(ledger.TryGet("sig-a", out var rec));
        Assert.Equal(4, rec.Hits);
        Assert.Equal(["m1", "m2", "m3"], rec.Machines); // sorted, each machine once
        Assert.Equal(["realm-v2"], rec.Variants);
        Assert.Equal(FarmReports.T0.AddMinutes(10), rec.FirstSeen);
        Assert.Equal(FarmReports.T0.AddMinutes(30), rec.LastSeen);
        Assert.Equal("m2#1", rec.FirstReport);
        Assert.Equal("trace sig-a from m2#1 (10 events)", rec.SmallestTrace); // same size: the first stays

        // A duplicate found earlier than anything seen (a slow machine) moves FirstSeen back, not LastSeen.
        ledger.Ingest([R("m4", 1, "sig-a", minute: 5)]);
        Assert.Equal(FarmReports.T0.AddMinutes(5), rec.FirstSeen);
        Assert.Equal(FarmReports.T0.AddMinutes(30), rec.LastSeen);
        Assert.Equal(["m1", "m2", "m3", "m4"], rec.Machines);
        Assert.Equal(5, rec.Hits);
    }

    [Fact]
    public void SmallerReproducer_ReplacesTheTrace_AndAnEqualOrLargerOneDoesNot()
    {
        var ledger = new FindingsLedger();
        ledger.Ingest([R("m1", 1, "sig-a", events: 10)]);

        var smaller = ledger.Ingest([R("m2", 1, "sig-a", events: 7)]);
        Assert.Equal(new IngestResult(0, SmallerReproducers: 1, Duplicates: 1, Replayed: 0), smaller);
        Assert.True(ledger.TryGet("sig-a", out var rec));
        Assert.Equal(7, rec.SmallestEvents);
        Assert.Equal("trace sig-a from m2#1 (7 events)", rec.SmallestTrace);
        Assert.Equal("assumptions m2#1", rec.Assumptions);
        Assert.Equal("m1#1", rec.FirstReport);

        var equal = ledger.Ingest([R("m1", 2, "sig-a", events: 7)]);
        var larger = ledger.Ingest([R("m3", 1, "sig-a", events: 9)]);
        Assert.Equal(new IngestResult(0, SmallerReproducers: 0, Duplicates: 1, Replayed: 0), equal);
        Assert.Equal(new IngestResult(0, SmallerReproducers: 0, Duplicates: 1, Replayed: 0), larger);
        Assert.Equal(7, rec.SmallestEvents);
        Assert.Equal("trace sig-a from m2#1 (7 events)", rec.SmallestTrace);
        Assert.Equal("assumptions m2#1", rec.Assumptions);
        Assert.Equal(4, rec.Hits);
    }

    [Fact]
    public void ReingestingTheSameBatch_ChangesNothing_AndCountsReplays()
    {
        var ledger = new FindingsLedger();
        FindingReport[] batch = [R("m1", 1, "sig-a"), R("m2", 1, "sig-a", events: 5), R("m1", 2, "sig-b"), R("m2", 2, "sig-c", minute: 4)];
        Assert.Equal(new IngestResult(3, 1, 1, 0), ledger.Ingest(batch));
        var before = FarmReports.Describe(ledger);

        var again = ledger.Ingest(batch);

        Assert.Equal(new IngestResult(0, 0, 0, Replayed: 4), again);
        Assert.Equal(4, ledger.State.ReplaysIgnored);
        Assert.Equal(before.Replace("replays 0", "replays 4", StringComparison.Ordinal), FarmReports.Describe(ledger));
    }

    [Fact]
    public void ReportAtOrBelowTheMachinesLastSequence_IsAReplay_EvenWithNewContent()
    {
        var ledger = new FindingsLedger();
        ledger.Ingest([R("m1", 5, "sig-a", events: 10)]);
        var before = FarmReports.Describe(ledger);

        // Same sequence, lower sequence: new signature, smaller trace, more hits — all ignored.
        var result = ledger.Ingest([R("m1", 5, "sig-new"), R("m1", 3, "sig-a", events: 2, hits: 9), R("m1", 4, "sig-other")]);

        Assert.Equal(new IngestResult(0, 0, 0, Replayed: 3), result);
        Assert.False(ledger.TryGet("sig-new", out _));
        Assert.False(ledger.TryGet("sig-other", out _));
        Assert.Equal(before.Replace("replays 0", "replays 3", StringComparison.Ordinal), FarmReports.Describe(ledger));

        // Sequences are per machine: another machine's sequence 1 is new, and m1 continues above 5.
        Assert.Equal(new IngestResult(1, 0, 1, 0), ledger.Ingest([R("m2", 1, "sig-new"), R("m1", 6, "sig-a")]));
        Assert.True(ledger.TryGet("sig-a", out var a));
        Assert.Equal(2, a.Hits);
        Assert.Equal(10, a.SmallestEvents);
    }

    [Fact]
    public void ReplayWithinOneBatch_IsIgnored()
    {
        var ledger = new FindingsLedger();
        var result = ledger.Ingest([R("m1", 2, "sig-a"), R("m1", 2, "sig-a"), R("m1", 1, "sig-b")]);

        Assert.Equal(new IngestResult(1, 0, 0, Replayed: 2), result);
        Assert.True(ledger.TryGet("sig-a", out var a));
        Assert.Equal(1, a.Hits);
        Assert.False(ledger.TryGet("sig-b", out _));
    }

    [Fact]
    public void LedgerRebuiltFromItsState_ContinuesIdentically()
    {
        var original = new FindingsLedger();
        FindingReport[] first = [R("m1", 1, "sig-a", events: 9), R("m2", 1, "sig-a", minute: 2), R("m1", 2, "sig-b", variant: "canary", invariant: "walker-warn")];
        original.Ingest(first);

        // Through the Orleans serializer, as grain storage keeps it, and directly from the same object (an aggregator reactivation).
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var copied = new FindingsLedger(serializer.Deserialize<LedgerState>(serializer.SerializeToArray(original.State)));
        Assert.Equal(FarmReports.Describe(original), FarmReports.Describe(copied));

        FindingReport[] next = [.. first, R("m1", 3, "sig-a", events: 4, minute: 9), R("m3", 1, "sig-c"), R("m2", 1, "sig-z")];
        var expected = original.Ingest(next);
        var actual = copied.Ingest(next);

        Assert.Equal(new IngestResult(1, 1, 1, Replayed: 4), expected);
        Assert.Equal(expected, actual);
        Assert.Equal(FarmReports.Describe(original), FarmReports.Describe(copied));
        Assert.False(copied.TryGet("sig-z", out _));
        Assert.Equal(new IngestResult(0, 0, 0, Replayed: next.Length), new FindingsLedger(copied.State).Ingest(next));
    }

    [Fact]
    public void Records_AreOrderedByFirstSeenThenKey()
    {
        var ledger = new FindingsLedger();
        ledger.Ingest([R("m1", 1, "sig-c", minute: 5), R("m1", 2, "sig-b", minute: 1), R("m1", 3, "sig-a", minute: 5)]);

        Assert.Equal(["sig-b", "sig-a", "sig-c"], ledger.Records.Select(r => r.SignatureKey));
    }

    [Fact]
    public void Matrix_CountsDistinctSignaturesPerVariantAndInvariant()
    {
        var ledger = new FindingsLedger();
        ledger.Ingest(
        [
            R("m1", 1, "v2-tlb-1"),
            R("m1", 2, "v2-tlb-2"),
            R("m2", 1, "v2-tlb-1"), // a duplicate: not a new signature
            R("m2", 2, "v2-walker", invariant: "walker-warn"),
            R("m3", 1, "canary-walker", variant: "canary", invariant: "walker-warn"),
            R("m3", 2, "canary-cont", variant: "canary", invariant: "cont-inconsistent"),
            R("m3", 3, "canary-cont", variant: "canary", invariant: "cont-inconsistent"),
            R("m3", 3, "canary-replayed", variant: "canary", invariant: "cont-inconsistent"),
        ]);

        var m = ledger.Matrix();

        Assert.Equal(["canary", "realm-v2"], m.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, m["realm-v2"]["tlb-conflict"]);
        Assert.Equal(1, m["realm-v2"]["walker-warn"]);
        Assert.Equal(2, m["realm-v2"].Count);
        Assert.Equal(1, m["canary"]["walker-warn"]);
        Assert.Equal(1, m["canary"]["cont-inconsistent"]);
        Assert.Equal(2, m["canary"].Count);
        Assert.Equal(ledger.Count, m.Values.Sum(row => row.Values.Sum()));
        Assert.Empty(new FindingsLedger().Matrix());
    }
}
