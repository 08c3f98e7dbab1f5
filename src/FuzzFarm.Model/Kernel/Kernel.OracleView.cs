namespace FuzzFarm.Model;

/// <summary>State the oracle reads. Plain field reads: they never log, block or count as preemption points.</summary>
public sealed partial class Kernel
{
    private Point _writePoint;

    internal Point CurrentPoint => _writePoint;

    internal ulong TranslatingMask => _mmuOn & ~_ttbr1Reserved;

    internal ulong HardwareBbml2Mask => _hardwareMask;

    internal bool KfenceReady => _kfenceReady;

    internal bool Repainted => _repainted;

    internal bool RequiresBbml2State => _requiresBbml2;

    internal bool PageAllocAvailableState => _pageAllocAvailable;

    internal bool SlabAvailableState => _slabAvailable;

    internal bool IsLinearAddress(ulong va) => IsLinear(va);

    internal void CountLiveResize() => _liveResizes++;

    /// <summary>can_set_direct_map() evaluated for the oracle without logging anything.</summary>
    internal bool EvaluateCanSetDirectMap()
    {
        _depth++;
        var r = _variant.CanSetDirectMap(this);
        _depth--;
        return r;
    }

    /// <summary>Does [start, end) cut through a leaf or CONT group (so that a split is really needed)?</summary>
    internal bool SplitNeeded(ulong start, ulong end) => CutsLeaf(start) || CutsLeaf(end);

    /// <summary>Does va fall inside a CONT group while on a boundary of its leaves (so only the group is cut)?</summary>
    internal bool CutsContGroupOnly(ulong va)
    {
        if (!IsLinear(va)) return false;
        var off = Off(va);
        var i = _map.Find(off);
        if (i < 0) return false;
        var r = _map[i];
        return r.Cont && Units.IsAligned(off, Units.LeafSize(r.Level)) && !Units.IsAligned(off, Units.ContSize(r.Level));
    }

    private bool CutsLeaf(ulong va)
    {
        if (!IsLinear(va)) return false;
        var off = Off(va);
        var i = _map.Find(off);
        if (i < 0) return false;
        var r = _map[i];
        var size = r.Cont ? Units.ContSize(r.Level) : Units.LeafSize(r.Level);
        return !Units.IsAligned(off, size);
    }
}
