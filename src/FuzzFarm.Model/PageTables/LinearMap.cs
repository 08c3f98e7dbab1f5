namespace FuzzFarm.Model;

/// <summary>
/// The linear map as a sorted array of maximal runs of identical leaves. Splits and permission changes touch a
/// handful of runs, so a boot-sized map (4 GiB of PTEs after a repaint) is a few entries, and every operation
/// works in place on a preallocated array: no allocation per event.
/// </summary>
public sealed class LinearMap
{
    private Leaf[] _runs;
    private int _count;

    public LinearMap(int capacity = 1024)
    {
        _runs = new Leaf[capacity];
    }

    public int Count => _count;

    /// <summary>Runs the preallocated array holds.</summary>
    public int Capacity => _runs.Length;

    public ulong End => _count == 0 ? 0 : _runs[_count - 1].End;

    public ref readonly Leaf this[int index] => ref _runs[index];

    public ReadOnlySpan<Leaf> Runs => _runs.AsSpan(0, _count);

    public void Clear() => _count = 0;

    /// <summary>Replaces this map's content with another's (reset in place from a cached boot layout).</summary>
    public void CopyFrom(LinearMap other)
    {
        if (_runs.Length < other._count) _runs = new Leaf[Math.Max(other._count, _runs.Length * 2)];
        Array.Copy(other._runs, _runs, other._count);
        _count = other._count;
    }

    /// <summary>Appends a run at the end during layout construction, merging with the previous when identical.</summary>
    public void Append(ulong start, ulong end, Level level, bool cont, Attr attrs)
    {
        if (end <= start) return;
        if (_count > 0)
        {
            ref var last = ref _runs[_count - 1];
            if (last.End == start && last.Level == level && last.Cont == cont && last.Attrs == attrs)
            {
                last.End = end;
                return;
            }
        }

        EnsureCapacity(_count + 1);
        _runs[_count++] = new Leaf(start, end, level, cont, attrs);
    }

    /// <summary>Index of the run containing <paramref name="addr"/>, or -1 outside the map.</summary>
    public int Find(ulong addr)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            ref var r = ref _runs[mid];
            if (addr < r.Start) hi = mid - 1;
            else if (addr >= r.End) lo = mid + 1;
            else return mid;
        }

        return -1;
    }

    /// <summary>
    /// Makes <paramref name="addr"/> a run boundary (no change in meaning: both halves keep the same leaves).
    /// Returns the index of the run that starts at addr, or Count when addr is the end of the map.
    /// </summary>
    public int CutAt(ulong addr)
    {
        var i = Find(addr);
        if (i < 0) return addr >= End ? _count : 0;
        if (_runs[i].Start == addr) return i;
        EnsureCapacity(_count + 1);
        Array.Copy(_runs, i + 1, _runs, i + 2, _count - i - 1);
        _count++;
        _runs[i + 1] = _runs[i];
        _runs[i].End = addr;
        _runs[i + 1].Start = addr;
        return i + 1;
    }

    /// <summary>Gives direct access to a run for rewriting after <see cref="CutAt"/>; call <see cref="Normalize"/> after.</summary>
    public ref Leaf At(int index) => ref _runs[index];

    /// <summary>Replaces runs [from, to) by one run (the caller cut the map at its bounds first).</summary>
    public void ReplaceRuns(int from, int to, in Leaf leaf)
    {
        if (to <= from) throw new ArgumentOutOfRangeException(nameof(to));
        _runs[from] = leaf;
        var removed = to - from - 1;
        if (removed > 0)
        {
            Array.Copy(_runs, to, _runs, from + 1, _count - to);
            _count -= removed;
        }
    }

    /// <summary>Merges identical neighbours in [from, to] (indexes clamped), restoring maximal runs, in one pass.</summary>
    public void Normalize(int from, int to)
    {
        if (from < 1) from = 1;
        if (to > _count - 1) to = _count - 1;
        if (from > to) return;
        var w = from - 1; // last kept run
        for (var r = from; r <= to; r++)
        {
            ref var kept = ref _runs[w];
            ref var cur = ref _runs[r];
            if (kept.End == cur.Start && kept.SameShape(cur)) kept.End = cur.End;
            else _runs[++w] = cur;
        }

        var removed = to - w;
        if (removed == 0) return;
        Array.Copy(_runs, to + 1, _runs, w + 1, _count - to - 1);
        _count -= removed;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _runs.Length) return;
        Array.Resize(ref _runs, Math.Max(needed, _runs.Length * 2));
    }
}
