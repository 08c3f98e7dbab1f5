namespace FuzzFarm.Model;

/// <summary>
/// How often each guard a version (or the kernel around it) read was evaluated live, and with which answer: the
/// evidence that a window was reached and refused, not just unreached ("cpus_read_trylock() failed: 1,204 times").
/// Counts the live reads a running call logs (a call resumed by replay reads its logged answers again; those are not
/// counted twice; the reads inside a version's force_pte_mapping() are one force_pte_mapping() read).
/// Observation only: it never changes a run, and is not part of snapshots or the state hash.
/// </summary>
public sealed class GuardCoverage
{
    private readonly long[] _counts = new long[Points.Count * 2];

    /// <summary>The guards counted, in report order (the gating reads of §4; each a preemption point).</summary>
    public static ReadOnlySpan<Point> Guards =>
    [
        Point.LinearMapRequiresBbml2, Point.IsKfenceAddress, Point.ForcePteMapping, Point.CanSetDirectMap,
        Point.SystemSupportsBbml2NoAbort, Point.SystemCapabilitiesFinalized, Point.CpuSupportsBbml2NoAbort,
        Point.PageAllocAvailable, Point.IsRealmWorld, Point.CpusReadTrylock, Point.NumOnlineCpus, Point.SlabIsAvailable,
    ];

    /// <summary>Counts one live read of <paramref name="guard"/> answering <paramref name="value"/> (hot path: one increment).</summary>
    internal void Count(Point guard, bool value) => _counts[((int)guard << 1) | (value ? 1 : 0)]++;

    /// <summary>Times <paramref name="guard"/> answered <paramref name="value"/>.</summary>
    public long Of(Point guard, bool value) => _counts[((int)guard << 1) | (value ? 1 : 0)];

    /// <summary>Adds another tally (a grain's sessions, a version's machines).</summary>
    public void Add(GuardCoverage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
    }

    public void Clear() => Array.Clear(_counts);

    /// <summary>Length of the raw tally (<see cref="CopyTo"/>, <see cref="Add(ReadOnlySpan{long})"/>).</summary>
    public static int RawLength => Points.Count * 2;

    /// <summary>Copies the raw tally (a prefix snapshot remembers what its prefix counted).</summary>
    public void CopyTo(Span<long> into) => _counts.CopyTo(into);

    /// <summary>Adds a raw tally of the same length.</summary>
    public void Add(ReadOnlySpan<long> raw)
    {
        for (var i = 0; i < _counts.Length; i++) _counts[i] += raw[i];
    }

    /// <summary>
    /// The tally as "guard:answer" → count for the answers seen (answers: true/false; num_online_cpus: "&gt;1"/"1"),
    /// the form status messages and JSON carry.
    /// </summary>
    public Dictionary<string, long> ToDictionary()
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var g in Guards)
        {
            for (var v = 0; v < 2; v++)
            {
                var n = _counts[((int)g << 1) | v];
                if (n > 0) d[Key(g, v == 1)] = n;
            }
        }

        return d;
    }

    /// <summary>Adds a tally in <see cref="ToDictionary"/>'s form (unknown keys are ignored: a newer peer's guards).</summary>
    public void Add(IReadOnlyDictionary<string, long> tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        foreach (var g in Guards)
        {
            for (var v = 0; v < 2; v++)
            {
                if (tally.TryGetValue(Key(g, v == 1), out var n)) _counts[((int)g << 1) | v] += n;
            }
        }
    }

    /// <summary>The key of one guard answer: "cpus_read_trylock:false".</summary>
    public static string Key(Point guard, bool value) => $"{Points.Name(guard)}:{(value ? "true" : "false")}";

    /// <summary>How a maintainer reads one answer: "cpus_read_trylock() failed", "num_online_cpus() &gt; 1".</summary>
    public static string Describe(Point guard, bool value) => guard switch
    {
        Point.CpusReadTrylock => value ? "cpus_read_trylock() succeeded" : "cpus_read_trylock() failed",
        Point.NumOnlineCpus => value ? "num_online_cpus() > 1" : "num_online_cpus() == 1",
        _ => $"{Points.Name(guard)}() {(value ? "true" : "false")}",
    };
}
