using System.Numerics;
using System.Runtime.Intrinsics;

namespace FuzzFarm.Engine;

/// <summary>
/// "New coverage" over both observers: an edge hit-count class or a model-state feature never seen before.
/// Holds the history (virgin maps); <see cref="IsInteresting"/> only reads it, <see cref="Commit"/> merges.
/// </summary>
public sealed class CoverageFeedback : IFeedback
{
    private readonly ModelStateObserver _features;
    private readonly EdgeCoverageObserver? _edges;
    private readonly byte[] _seenFeatures = new byte[ModelStateObserver.MapSize];
    private readonly byte[] _seenEdges;
    private readonly byte[] _knownMask;
    private int[] _known = new int[1024];
    private int _knownCount;

    public CoverageFeedback(ModelStateObserver features, EdgeCoverageObserver? edges)
    {
        ArgumentNullException.ThrowIfNull(features);
        _features = features;
        _edges = edges;
        _seenEdges = new byte[edges?.ScanSize ?? 0];
        _knownMask = new byte[edges?.ScanSize ?? 0];
    }

    /// <summary>Distinct model-state features seen so far.</summary>
    public int Features { get; private set; }

    /// <summary>Distinct edges seen so far (0 without instrumentation).</summary>
    public int Edges { get; private set; }

    /// <summary>Distinct (edge, hit-count class) pairs seen so far.</summary>
    public int EdgeClasses { get; private set; }

    public bool IsInteresting()
    {
        foreach (var i in _features.Touched)
        {
            if (_seenFeatures[i] == 0) return true;
        }

        return _edges is not null && NewEdgeBits(commit: false) != 0;
    }

    public int Commit()
    {
        var added = 0;
        foreach (var i in _features.Touched)
        {
            if (_seenFeatures[i] != 0) continue;
            _seenFeatures[i] = 1;
            added++;
        }

        Features += added;
        if (_edges is not null) added += NewEdgeBits(commit: true);
        return added;
    }

    /// <summary>
    /// New edge bits in the last run. The map is dense in location ids but sparse in edges that ever fire, so
    /// the check is: one vector pass for "a byte is set where no edge was ever seen" (a new edge), then the hit
    /// count classes of the known edges only. Committing walks the whole map (rare: new corpus entries only).
    /// </summary>
    private int NewEdgeBits(bool commit)
    {
        var map = _edges!.Map;
        if (!commit)
        {
            var mask = _knownMask.AsSpan();
            var i = 0;
            for (; i + Vector256<byte>.Count <= map.Length; i += Vector256<byte>.Count)
            {
                var v = Vector256.Create(map.Slice(i, Vector256<byte>.Count));
                var m = Vector256.Create((ReadOnlySpan<byte>)mask.Slice(i, Vector256<byte>.Count));
                if (Vector256.AndNot(v, m) != Vector256<byte>.Zero) return 1;
            }

            foreach (var k in _known.AsSpan(0, _knownCount))
            {
                var count = map[k];
                if (count != 0 && (EdgeCoverageObserver.Bucket(count) & ~_seenEdges[k]) != 0) return 1;
            }

            return 0;
        }

        var added = 0;
        for (var j = 0; j < map.Length; j++)
        {
            if (map[j] == 0) continue;
            var fresh = (byte)(EdgeCoverageObserver.Bucket(map[j]) & ~_seenEdges[j]);
            if (fresh == 0) continue;
            if (_seenEdges[j] == 0)
            {
                Edges++;
                _knownMask[j] = 0xff;
                if (_knownCount == _known.Length) Array.Resize(ref _known, _known.Length * 2);
                _known[_knownCount++] = j;
            }

            _seenEdges[j] |= fresh;
            added += BitOperations.PopCount(fresh);
        }

        EdgeClasses += added;
        return added;
    }
}
