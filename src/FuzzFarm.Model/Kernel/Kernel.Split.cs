namespace FuzzFarm.Model;

/// <summary>
/// The per-level split helpers of mmu.c (split_pud, split_pmd, split_contpmd, split_contpte,
/// range_split_to_ptes) and the boot repaint. Each writes the live linear map without break-before-make,
/// which is exactly what the tlb-conflict invariant judges.
/// </summary>
public sealed partial class Kernel
{
    private const long AllocFailed = -1;

    /// <summary>pud_leaf(READ_ONCE(*pudp)) for the PUD entry covering addr.</summary>
    public bool PudLeaf(ulong addr) => LeafIs(Point.PudLeaf, addr, Level.Pud, needCont: false);

    /// <summary>pmd_leaf(pmdp_get(pmdp)) for the PMD entry covering addr.</summary>
    public bool PmdLeaf(ulong addr) => LeafIs(Point.PmdLeaf, addr, Level.Pmd, needCont: false);

    /// <summary>pmd_cont(pmd) for the PMD entry covering addr.</summary>
    public bool PmdCont(ulong addr) => LeafIs(Point.PmdCont, addr, Level.Pmd, needCont: true);

    /// <summary>pte_cont(__ptep_get(ptep)) for the PTE covering addr.</summary>
    public bool PteCont(ulong addr) => LeafIs(Point.PteCont, addr, Level.Pte, needCont: true);

    private bool LeafIs(Point point, ulong addr, Level level, bool needCont)
    {
        if (Replayed(out var v)) return v != 0;
        var yes = false;
        if (IsLinear(addr))
        {
            var i = _map.Find(Off(addr));
            yes = i >= 0 && _map[i].Level == level && (!needCont || _map[i].Cont);
        }

        return Record(point, yes ? 1 : 0) != 0;
    }

    /// <summary>split_pud(): allocate a PMD table (GFP_PGTABLE_KERNEL), fill 512 blocks, publish it.</summary>
    public int SplitPud(ulong addr, bool toCont) => SplitBlock(addr, Level.Pud, toCont, Point.SplitPud);

    /// <summary>split_pmd(): allocate a PTE table (GFP_PGTABLE_KERNEL), fill 512 PTEs, publish it.</summary>
    public int SplitPmd(ulong addr, bool toCont) => SplitBlock(addr, Level.Pmd, toCont, Point.SplitPmd);

    private int SplitBlock(ulong addr, Level level, bool toCont, Point publish)
    {
        // The kernel read the entry before allocating: the published table carries the attributes seen then.
        if (!Replayed(out var seen))
        {
            seen = AllocFailed;
            if (PgtableAlloc(gfpAtomic: false))
            {
                var i = IsLinear(addr) ? _map.Find(Off(addr)) : -1;
                seen = i >= 0 ? (long)_map[i].Attrs : 0;
            }

            Record(Point.PgtableAlloc, seen);
        }

        if (seen == AllocFailed) return -Units.ENOMEM;
        if (Replayed(out _)) return 0;
        if (IsLinear(addr))
        {
            var size = Units.LeafSize(level);
            var start = Units.AlignDown(Off(addr), size);
            Publish(start, start + size, level - 1, toCont, (Attr)seen, publish);
            _tablePages++;
            _frag.Leaves(level - 1, toCont, Units.PTRS_PER_TABLE);
            if (level == Level.Pmd) _frag.BlockBytesLost += (long)size;
        }

        Record(publish, 0);
        return 0;
    }

    /// <summary>split_contpmd(): clear PTE_CONT on the 16 entries of the group covering addr.</summary>
    public void SplitContPmd(ulong addr) => ClearCont(addr, Level.Pmd, Point.SplitContPmd);

    /// <summary>split_contpte(): clear PTE_CONT on the 16 entries of the group covering addr.</summary>
    public void SplitContPte(ulong addr) => ClearCont(addr, Level.Pte, Point.SplitContPte);

    private void ClearCont(ulong addr, Level level, Point point)
    {
        if (Replayed(out _)) return;
        if (IsLinear(addr))
        {
            var size = Units.ContSize(level);
            var start = Units.AlignDown(Off(addr), size);
            _writePoint = point;
            LockOrderChecker.OnTaskSplit(this, point);
            TlbConflictChecker.OnLiveResize(this, start, start + size, point);
            RewriteRange(start, start + size, level, clearCont: true);
            _frag.ContGroupsBroken++;
        }

        Record(point, 0);
    }

    /// <summary>
    /// range_split_to_ptes(start, end, GFP_PGTABLE_KERNEL), used by arch_kfence_init_pool() for a late pool. The
    /// kernel walks the range only: a PUD leaf it touches becomes a table of 512 non-CONT PMD blocks (split_pud,
    /// to_cont false); a CONT-PMD group it touches loses PTE_CONT (split_contpmd); a PMD leaf it touches becomes a
    /// table of 512 non-CONT PTEs (split_pmd); a CONT-PTE group it touches loses PTE_CONT (split_contpte). What lies
    /// outside the range keeps the largest leaves that remain.
    /// </summary>
    public int RangeSplitToPtes(ulong start, ulong end) => RangeSplitToPtes(start, end, gfpAtomic: false);

    /// <summary>
    /// range_split_to_ptes(start, end, gfp): <paramref name="gfpAtomic"/> when the gfp mask does not allow blocking
    /// (no __GFP_DIRECT_RECLAIM, e.g. GFP_ATOMIC): its table allocations are not sleeping points.
    /// </summary>
    public int RangeSplitToPtes(ulong start, ulong end, bool gfpAtomic)
    {
        if (!Replayed(out var ok))
        {
            ok = PgtableAlloc(gfpAtomic) ? 1 : 0;
            Record(Point.PgtableAlloc, ok);
        }

        if (ok == 0) return -Units.ENOMEM;
        if (Replayed(out _)) return 0;
        if (IsLinear(start) && end > start)
        {
            LockOrderChecker.OnTaskSplit(this, Point.RangeSplitToPtes);
            _writePoint = Point.RangeSplitToPtes;
            var s = Off(start);
            var e = Math.Min(Off(end - 1), MappedRamEnd - 1) + 1;
            SplitLevelInRange(s, e, Level.Pud, cont: false);
            SplitLevelInRange(s, e, Level.Pmd, cont: true);
            SplitLevelInRange(s, e, Level.Pmd, cont: false);
            SplitLevelInRange(s, e, Level.Pte, cont: true);
        }

        Record(Point.RangeSplitToPtes, 0);
        return 0;
    }

    /// <summary>
    /// One level of the range walk: every leaf of <paramref name="level"/> (CONT group when <paramref name="cont"/>)
    /// overlapping [s, e) is split one step (a block to a table of the next level, a CONT group to plain leaves).
    /// </summary>
    private void SplitLevelInRange(ulong s, ulong e, Level level, bool cont)
    {
        var unit = cont ? Units.ContSize(level) : Units.LeafSize(level);
        var a = s;
        while (a < e)
        {
            var i = _map.Find(a);
            if (i < 0) return;
            var r = _map[i];
            if (r.Level != level || r.Cont != cont)
            {
                a = r.End;
                continue;
            }

            var lo = Math.Max(r.Start, Units.AlignDown(a, unit));
            var hi = Math.Min(r.End, Units.AlignUp(Math.Min(r.End, e), unit));
            TlbConflictChecker.OnLiveResize(this, lo, hi, Point.RangeSplitToPtes);
            var from = _map.CutAt(lo);
            var to = _map.CutAt(hi);
            for (var k = from; k < to; k++)
            {
                ref var x = ref _map.At(k);
                if (!cont) x.Level = level - 1;
                x.Cont = false;
            }

            _map.Normalize(from - 1, to + 1);
            LinearMapWrites.AfterWrite(this, lo, hi);
            var units = (long)((hi - lo) / unit);
            if (cont)
            {
                _frag.ContGroupsBroken += units;
            }
            else
            {
                _tablePages += units;
                _frag.Leaves(level - 1, cont: false, units * Units.PTRS_PER_TABLE);
                if (level == Level.Pmd) _frag.BlockBytesLost += (long)(hi - lo);
            }

            a = hi;
        }
    }

    /// <summary>
    /// linear_map_split_to_ptes() under stop_machine(): the boot CPU splits everything outside the kernel alias to
    /// non-CONT PTEs (GFP_ATOMIC) while every other online CPU runs with TTBR1 on the reserved tables.
    /// </summary>
    public void StopMachineLinearMapSplitToPtes()
    {
        _ttbr1Reserved = _online & ~1UL;
        if (!PgtableAlloc(gfpAtomic: true)) throw new InvalidOperationException("repaint allocation failed: panic");
        SplitToPtes(0, _config.KaliasOffset, Point.RangeSplitToPtes);
        SplitToPtes(_config.KaliasOffset + _config.KaliasSize, MappedRamEnd, Point.RangeSplitToPtes); // the whole linear map
        _ttbr1Reserved = 0;
        _repainted = true;
        _sink?.OnNote(_eventIndex, 0, "repaint: linear map split to PTEs under stop_machine");
    }

    private void SplitToPtes(ulong s, ulong e, Point point)
    {
        if (e <= s) return;
        _writePoint = point;
        var from = _map.CutAt(s);
        var to = _map.CutAt(e);
        for (var i = from; i < to; i++)
        {
            ref var r = ref _map.At(i);
            if (r.Level == Level.Pte && !r.Cont) continue;
            TlbConflictChecker.OnLiveResize(this, r.Start, r.End, point);
            var bytes = r.End - r.Start;
            if (r.Cont) _frag.ContGroupsBroken += (long)(bytes / Units.ContSize(r.Level));
            if (r.Level == Level.Pud)
            {
                var puds = (long)(bytes / Units.PUD_SIZE);
                _tablePages += puds * (1 + Units.PTRS_PER_TABLE);
                _frag.PmdLeaves += puds * Units.PTRS_PER_TABLE;
                _frag.PteLeaves += puds * Units.PTRS_PER_TABLE * Units.PTRS_PER_TABLE;
            }
            else if (r.Level == Level.Pmd)
            {
                var pmds = (long)(bytes / Units.PMD_SIZE);
                _tablePages += pmds;
                _frag.PteLeaves += pmds * Units.PTRS_PER_TABLE;
            }

            if (r.Level != Level.Pte) _frag.BlockBytesLost += (long)bytes;
            r.Level = Level.Pte;
            r.Cont = false;
        }

        _map.Normalize(from - 1, to + 1);
        LinearMapWrites.AfterWrite(this, s, e);
    }

    /// <summary>Replaces [s, e) by leaves of one level and attribute set, as a table publish does.</summary>
    private void Publish(ulong s, ulong e, Level level, bool cont, Attr attrs, Point point)
    {
        _writePoint = point;
        LockOrderChecker.OnTaskSplit(this, point);
        TlbConflictChecker.OnLiveResize(this, s, e, point);
        PermOverreachChecker.OnSplitPublish(this, s, e, attrs);
        var from = _map.CutAt(s);
        var to = _map.CutAt(e);
        _map.ReplaceRuns(from, to, new Leaf(s, e, level, cont, attrs));
        _map.Normalize(from - 1, from + 1);
        LinearMapWrites.AfterWrite(this, s, e);
    }

    private void RewriteRange(ulong s, ulong e, Level level, bool clearCont)
    {
        var from = _map.CutAt(s);
        var to = _map.CutAt(e);
        for (var i = from; i < to; i++)
        {
            ref var r = ref _map.At(i);
            if (r.Level == level && clearCont) r.Cont = false;
        }

        _map.Normalize(from - 1, to + 1);
        LinearMapWrites.AfterWrite(this, s, e);
    }

    /// <summary>
    /// A page-table allocation attempt: GFP_PGTABLE_KERNEL may sleep; both need the page allocator. The pages are
    /// counted where tables are published.
    /// </summary>
    private bool PgtableAlloc(bool gfpAtomic)
    {
        if (!gfpAtomic) SleepInAtomicChecker.OnMightSleep(this, Point.PgtableAlloc);
        AllocBeforePageAllocatorChecker.OnTableAlloc(this);
        return true;
    }
}
