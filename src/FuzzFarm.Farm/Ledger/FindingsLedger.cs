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

    /// <summary>Root causes the last <see cref="Ingest"/> changed: created, a smaller reproducer, or more hits (each once).</summary>
    public IReadOnlyCollection<string> LastChanged => _changed;

    private readonly HashSet<string> _changed = [];

    /// <summary>Folds a batch in. Reports are taken in order; a report at or below its machine's last accepted sequence is a replay.</summary>
    public IngestResult Ingest(IEnumerable<FindingReport> batch, Action<FindingReport, IngestOutcome>? each = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int fresh = 0, smaller = 0, duplicates = 0, replayed = 0;
        _changed.Clear();
        foreach (var r in batch)
        {
            if (_state.LastSequence.TryGetValue(r.MachineKey, out var last) && r.Sequence <= last)
            {
                replayed++;
                _state.ReplaysIgnored++;
                each?.Invoke(r, IngestOutcome.Replayed);
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
                    VersionAssumptions = new() { [r.Variant] = r.Assumptions },
                    Reproduces = Split(r.Reproduces), Callers = Split(r.Callers),
                };
                _changed.Add(r.SignatureKey);
                fresh++;
                each?.Invoke(r, IngestOutcome.New);
                continue;
            }

            duplicates++;
            _changed.Add(r.SignatureKey); // hits, versions and last-seen changed: the files say what the ledger says
            rec.Hits += Math.Max(1, r.Hits);
            if (r.FoundAt > rec.LastSeen) rec.LastSeen = r.FoundAt;
            if (r.FoundAt < rec.FirstSeen) rec.FirstSeen = r.FoundAt;
            AddSorted(rec.Machines, r.MachineKey);
            AddSorted(rec.Variants, r.Variant);
            if (!rec.VersionAssumptions.TryGetValue(r.Variant, out var weakest) || AssumptionCount(r.Assumptions) < AssumptionCount(weakest))
                rec.VersionAssumptions[r.Variant] = r.Assumptions;
            if ((AssumptionCount(r.Assumptions), r.Events).CompareTo((AssumptionCount(rec.Assumptions), rec.SmallestEvents)) < 0)
            {
                // Fewer assumptions, then fewer events, win; on a tie the reproducer already kept (the earliest) stays.
                rec.SmallestTrace = r.Trace;
                rec.SmallestEvents = r.Events;
                rec.Assumptions = r.Assumptions;
                rec.Variant = r.Variant;
                rec.Env = r.Env;
                rec.Where = r.Where;
                rec.Detail = r.Detail;
                rec.Title = r.Title;
                rec.Reproduces = Split(r.Reproduces);
                rec.Callers = Split(r.Callers);
                _changed.Add(r.SignatureKey);
                smaller++;
                each?.Invoke(r, IngestOutcome.Smaller);
            }
            else
            {
                each?.Invoke(r, IngestOutcome.Duplicate);
            }
        }

        return new IngestResult(fresh, smaller, duplicates, replayed);
    }

    /// <summary>Variant × invariant → number of root causes seen on that variant.</summary>
    public Dictionary<string, Dictionary<string, int>> Matrix()
    {
        var m = new Dictionary<string, Dictionary<string, int>>();
        foreach (var r in _state.Records.Values)
        {
            foreach (var variant in r.Variants.Count > 0 ? r.Variants : [r.Variant])
            {
                if (!m.TryGetValue(variant, out var row)) m[variant] = row = [];
                row[r.Invariant] = row.GetValueOrDefault(r.Invariant) + 1;
            }
        }

        return m;
    }

    private static List<string> Split(string list) => [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>How many environment assumptions a report's list names (an empty list: none).</summary>
    public static int AssumptionCount(string assumptions) =>
        string.IsNullOrWhiteSpace(assumptions) || assumptions == "none" ? 0 : assumptions.Count(c => c == ',') + 1;

    private static void AddSorted(List<string> list, string value)
    {
        var i = list.BinarySearch(value, StringComparer.Ordinal);
        if (i < 0) list.Insert(~i, value);
    }
}

/// <summary>What the ledger did with one report.</summary>
public enum IngestOutcome
{
    /// <summary>A signature not seen before.</summary>
    New,

    /// <summary>A known signature with a smaller reproducer (kept).</summary>
    Smaller,

    /// <summary>A known signature; its hits are counted, the reproducer is not kept.</summary>
    Duplicate,

    /// <summary>A report already accepted (a redelivery): ignored.</summary>
    Replayed,
}

/// <summary>
/// Per-silo pre-aggregation (what the report gateway does with the reports of a short window before one call to
/// the aggregator): one batch instead of one call per machine grain, the same report delivered twice in the window
/// (a retry) sent once, and every machine's reports in sequence order, which the ledger's exactly-once rule needs.
/// Reports of one signature with different sequences are not merged: whether an earlier one was already accepted
/// only the ledger knows, so merging their hits could count a redelivered report twice.
/// </summary>
public static class ReportFolding
{
    public static List<FindingReport> Fold(IReadOnlyList<FindingReport> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var seen = new HashSet<(string Machine, long Sequence)>();
        var output = new List<FindingReport>(batch.Count);
        foreach (var r in batch)
        {
            if (seen.Add((r.MachineKey, r.Sequence))) output.Add(r);
        }

        output.Sort((a, b) =>
        {
            var c = string.CompareOrdinal(a.MachineKey, b.MachineKey);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        });
        return output;
    }
}
