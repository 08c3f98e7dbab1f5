namespace FuzzFarm.Farm;

/// <summary>The ledger's durable state: records by signature and, per machine, the last report sequence accepted.</summary>
[GenerateSerializer, Alias("fuzzfarm.LedgerState")]
public sealed class LedgerState
{
    [Id(0)] public Dictionary<string, FindingRecord> Records { get; set; } = [];
    [Id(1)] public Dictionary<string, long> LastSequence { get; set; } = [];
    [Id(2)] public long ReportsAccepted { get; set; }
    [Id(3)] public long ReplaysIgnored { get; set; }
}

/// <summary>
/// The aggregator's logic without Orleans (TigerBeetle's findings policy): deduplicate by signature across the
/// cluster, keep the smallest reproducer (ties: the earliest), first/last seen, hit count, machines and variants;
/// accept each (machine, sequence) report once, so redelivery after a crash or a retry changes nothing.
/// </summary>
public sealed class FindingsLedger
{
    private readonly LedgerState _state;

    public FindingsLedger(LedgerState? state = null)
    {
        _state = state ?? new LedgerState();
    }

    public LedgerState State => _state;

    public int Count => _state.Records.Count;

    public IEnumerable<FindingRecord> Records => _state.Records.Values.OrderBy(r => r.FirstSeen).ThenBy(r => r.SignatureKey, StringComparer.Ordinal);

    public bool TryGet(string signatureKey, out FindingRecord record) => _state.Records.TryGetValue(signatureKey, out record!);

    /// <summary>Folds a batch in. Reports are taken in order; a report at or below its machine's last accepted sequence is a replay.</summary>
    public IngestResult Ingest(IEnumerable<FindingReport> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int fresh = 0, smaller = 0, duplicates = 0, replayed = 0;
        foreach (var r in batch)
        {
            if (_state.LastSequence.TryGetValue(r.MachineKey, out var last) && r.Sequence <= last)
            {
                replayed++;
                _state.ReplaysIgnored++;
                continue;
            }

            _state.LastSequence[r.MachineKey] = r.Sequence;
            _state.ReportsAccepted++;
            if (!_state.Records.TryGetValue(r.SignatureKey, out var rec))
            {
                _state.Records[r.SignatureKey] = new FindingRecord
                {
                    SignatureKey = r.SignatureKey, Title = r.Title, Variant = r.Variant, Invariant = r.Invariant, Where = r.Where,
                    Detail = r.Detail, Env = r.Env, SmallestTrace = r.Trace, SmallestEvents = r.Events, FirstSeen = r.FoundAt,
                    LastSeen = r.FoundAt, Hits = Math.Max(1, r.Hits), Machines = [r.MachineKey], Variants = [r.Variant],
                    Assumptions = r.Assumptions, FirstReport = $"{r.MachineKey}#{r.Sequence}",
                };
                fresh++;
                continue;
            }

            duplicates++;
            rec.Hits += Math.Max(1, r.Hits);
            if (r.FoundAt > rec.LastSeen) rec.LastSeen = r.FoundAt;
            if (r.FoundAt < rec.FirstSeen) rec.FirstSeen = r.FoundAt;
            AddSorted(rec.Machines, r.MachineKey);
            AddSorted(rec.Variants, r.Variant);
            if (r.Events < rec.SmallestEvents)
            {
                // Smaller wins; on a tie the reproducer already kept (the earliest) stays.
                rec.SmallestTrace = r.Trace;
                rec.SmallestEvents = r.Events;
                rec.Assumptions = r.Assumptions;
                smaller++;
            }
        }

        return new IngestResult(fresh, smaller, duplicates, replayed);
    }

    /// <summary>Variant × invariant → number of distinct signatures.</summary>
    public Dictionary<string, Dictionary<string, int>> Matrix()
    {
        var m = new Dictionary<string, Dictionary<string, int>>();
        foreach (var r in _state.Records.Values)
        {
            if (!m.TryGetValue(r.Variant, out var row)) m[r.Variant] = row = [];
            row[r.Invariant] = row.GetValueOrDefault(r.Invariant) + 1;
        }

        return m;
    }

    private static void AddSorted(List<string> list, string value)
    {
        var i = list.BinarySearch(value, StringComparer.Ordinal);
        if (i < 0) list.Insert(~i, value);
    }
}

/// <summary>
/// Per-silo pre-aggregation (what the stateless report gateway does with a batch before one call to the
/// aggregator): reports of the same signature from the same machine fold into the first, carrying the hits, and
/// keep the smallest reproducer; the sequence of the folded report is the highest, so the ledger's
/// exactly-once rule still holds.
/// </summary>
public static class ReportFolding
{
    public static List<FindingReport> Fold(IReadOnlyList<FindingReport> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var byKey = new Dictionary<(string Machine, string Signature), int>();
        var output = new List<FindingReport>(batch.Count);
        foreach (var r in batch)
        {
            if (!byKey.TryGetValue((r.MachineKey, r.SignatureKey), out var i))
            {
                byKey[(r.MachineKey, r.SignatureKey)] = output.Count;
                output.Add(r);
                continue;
            }

            var kept = output[i];
            var smaller = r.Events < kept.Events ? r : kept;
            output[i] = smaller with
            {
                Sequence = Math.Max(kept.Sequence, r.Sequence),
                Hits = kept.Hits + r.Hits,
                FoundAt = kept.FoundAt < r.FoundAt ? kept.FoundAt : r.FoundAt,
            };
        }

        // Per machine, sequences must increase in the order the ledger sees them (a folded report carries the
        // highest sequence of its group, so it goes after the others of its machine).
        output.Sort((a, b) =>
        {
            var c = string.CompareOrdinal(a.MachineKey, b.MachineKey);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        });
        return output;
    }
}
