using CsCheck;
using FuzzFarm.Farm;

namespace FuzzFarm.Tests.Farm;

/// <summary>The report gateway's pre-aggregation: folding a batch must not change what the ledger ends up with.</summary>
public sealed class ReportFoldingTests
{
    private static readonly string[] _signatures = ["sig-a", "sig-b", "sig-c", "sig-d"];

    private static FindingReport R(string machine, long sequence, string signature, int events = 10, int minute = 0, long hits = 1) =>
        FarmReports.Report(machine, sequence, signature, events, minute, hits);

    [Fact]
    public void RepeatedReports_InOneWindow_AreSentOnce()
    {
        // The machine's first call still pending in the gateway when its retry (the whole outbox, plus a new report) joins it.
        FindingReport[] window = [R("m", 1, "sig-a"), R("m", 2, "sig-b"), R("m", 1, "sig-a"), R("m", 2, "sig-b"), R("m", 3, "sig-c")];

        var folded = ReportFolding.Fold(window);

        Assert.Equal([window[0], window[1], window[4]], folded);
    }

    [Fact]
    public void ReportsOfOneSignature_WithDifferentSequences_AreNotMerged()
    {
        // Whether m#5 was already accepted only the ledger knows, so the gateway must not fold its hits into m#7.
        FindingReport[] batch = [R("m", 5, "sig-a", events: 10), R("m", 6, "sig-b"), R("m", 7, "sig-a", events: 6)];

        Assert.Equal(batch, ReportFolding.Fold(batch));
    }

    [Fact]
    public void SameSequence_FromDifferentMachines_IsKeptForEach_AndEachMachineIsInSequenceOrder()
    {
        FindingReport[] window = [R("m2", 2, "sig-a"), R("m1", 1, "sig-a"), R("m2", 1, "sig-b"), R("m1", 2, "sig-b"), R("m2", 2, "sig-a")];

        var folded = ReportFolding.Fold(window);

        Assert.Equal(["m1#1", "m1#2", "m2#1", "m2#2"], folded.Select(r => $"{r.MachineKey}#{r.Sequence}"));
        Assert.Empty(ReportFolding.Fold([]));
    }

    [Fact]
    public void InterleavedSignatures_OfOneMachine_AreAllKeptByTheLedger()
    {
        // m: seq 5 sig A, seq 6 sig B, seq 7 sig A. Had the gateway merged A's reports into one carrying 7 and kept
        // first-seen order, B (6) would come after it and the ledger would drop B as a replay.
        FindingReport[] batch = [R("m", 5, "sig-a", minute: 1), R("m", 6, "sig-b", minute: 2), R("m", 7, "sig-a", minute: 3)];
        var folded = ReportFolding.Fold(batch);

        var ledger = new FindingsLedger();
        var result = ledger.Ingest(folded);

        Assert.Equal(0, result.Replayed);
        Assert.Equal(2, result.NewSignatures);
        Assert.True(ledger.TryGet("sig-a", out var a));
        Assert.Equal(2, a.Hits);
        Assert.True(ledger.TryGet("sig-b", out var b));
        Assert.Equal(1, b.Hits);
        Assert.Equal(7, ledger.State.LastSequence["m"]);
    }

    [Fact]
    public void FoldedOutput_HasStrictlyIncreasingSequencesPerMachine_AndLosesNoReport() =>
        Batches.Sample(
            (machines, steps) =>
            {
                var batch = Build(machines, steps);
                var folded = ReportFolding.Fold(batch);

                foreach (var g in folded.GroupBy(r => r.MachineKey))
                {
                    var seqs = g.Select(r => r.Sequence).ToList();
                    Assert.True(seqs.Zip(seqs.Skip(1)).All(p => p.First < p.Second), $"{g.Key}: {string.Join(",", seqs)}");
                }

                // Nothing lost but repeats: every (machine, sequence) once, as it was first delivered.
                Assert.Equal(batch.DistinctBy(r => (r.MachineKey, r.Sequence)).OrderBy(r => r.MachineKey, StringComparer.Ordinal).ThenBy(r => r.Sequence), folded);
            },
            iter: 300);

    [Fact]
    public void IngestingFoldedBatches_GivesTheSameRecordsAsIngestingTheUnfoldedOnes() =>
        Gen.Select(Batches, Gen.Int[0, 40]).Sample(
            (batches, split) =>
            {
                var (machines, steps) = batches;
                var all = Build(machines, steps);
                // Two consecutive deliveries: sequences continue from the first into the second.
                split = Math.Min(split, all.Count);
                FindingReport[] first = [.. all.Take(split)], second = [.. all.Skip(split)];

                var plain = new FindingsLedger();
                plain.Ingest(first);
                plain.Ingest(second);
                var viaGateway = new FindingsLedger();
                viaGateway.Ingest(ReportFolding.Fold(first));
                viaGateway.Ingest(ReportFolding.Fold(second));

                Assert.Equal(plain.State.LastSequence.OrderBy(kv => kv.Key), viaGateway.State.LastSequence.OrderBy(kv => kv.Key));
                Assert.Equal(plain.State.ReportsAccepted, viaGateway.State.ReportsAccepted);
                Assert.Equal(Summary(plain), Summary(viaGateway));
            },
            iter: 300);

    /// <summary>
    /// A machine grain resends its whole outbox when an acknowledgement is lost (Polly timeout, a failed response):
    /// the ledger ignores the resent (machine, sequence) reports, so folding must not turn them into extra hits.
    /// </summary>
    [Fact]
    public void RedeliveredReports_InTheSameGatewayWindow_AreNotCountedTwice()
    {
        FindingReport[] outbox = [R("m", 1, "sig-a"), R("m", 2, "sig-b")];
        FindingReport[] window = [.. outbox, .. outbox]; // the first call still pending in the gateway, the retry joins it

        var plain = new FindingsLedger();
        plain.Ingest(window);
        var viaGateway = new FindingsLedger();
        viaGateway.Ingest(ReportFolding.Fold(window));

        Assert.Equal(Summary(plain), Summary(viaGateway));
    }

    [Fact]
    public void RedeliveredReports_AlreadyAccepted_AreNotCountedAgain_WhenFoldedWithNewOnes()
    {
        FindingReport[] delivered = [R("m", 1, "sig-a"), R("m", 2, "sig-b")];
        // The ledger accepted 1 and 2 but the acknowledgement was lost; the next slice resends the outbox plus report 3.
        FindingReport[] resent = [.. delivered, R("m", 3, "sig-a")];

        var plain = new FindingsLedger();
        plain.Ingest(delivered);
        plain.Ingest(resent);
        var viaGateway = new FindingsLedger();
        viaGateway.Ingest(ReportFolding.Fold(delivered));
        viaGateway.Ingest(ReportFolding.Fold(resent));

        Assert.True(plain.TryGet("sig-a", out var a));
        Assert.Equal(2, a.Hits);
        Assert.Equal(Summary(plain), Summary(viaGateway));
    }

    /// <summary>
    /// Machines (2–3) and steps: (machine index, signature index, events, sequence gap, minutes later); a gap of 0
    /// is a retry: the machine resends every report it made so far (its outbox, the acknowledgement lost).
    /// </summary>
    private static Gen<(int Machines, (int Machine, int Signature, int Events, int Gap, int Later)[] Steps)> Batches { get; } =
        Gen.Select(
            Gen.Int[2, 3],
            Gen.Select(Gen.Int[0, 2], Gen.Int[0, _signatures.Length - 1], Gen.Int[1, 20], Gen.Int[0, 3], Gen.Int[0, 2]).Array[1, 40]);

    /// <summary>Reports in delivery order: each machine's new sequences increase (with gaps), the clock never goes back.</summary>
    private static List<FindingReport> Build(int machines, (int Machine, int Signature, int Events, int Gap, int Later)[] steps)
    {
        var made = Enumerable.Range(0, machines).Select(_ => new List<FindingReport>()).ToArray();
        var next = new long[machines];
        var minute = 0;
        var reports = new List<FindingReport>(steps.Length);
        foreach (var (m, s, events, gap, later) in steps)
        {
            var machine = m % machines;
            if (gap == 0)
            {
                reports.AddRange(made[machine]);
                continue;
            }

            next[machine] += gap;
            minute += later;
            var r = R($"m{machine}", next[machine], _signatures[s], events, minute);
            made[machine].Add(r);
            reports.Add(r);
        }

        return reports;
    }

    /// <summary>
    /// What folding must preserve per signature: hits, machines, variants, the smallest size, first and last
    /// sighting. (Not which of two equal-sized traces from different machines is kept, nor FirstReport: folding
    /// orders the batch by machine.)
    /// </summary>
    private static string Summary(FindingsLedger ledger) => string.Join("\n", ledger.State.Records.Values
        .OrderBy(r => r.SignatureKey, StringComparer.Ordinal)
        .Select(r => $"{r.SignatureKey} hits={r.Hits} machines={string.Join(',', r.Machines)} variants={string.Join(',', r.Variants)} " +
            $"events={r.SmallestEvents} first={r.FirstSeen:O} last={r.LastSeen:O}"));
}
