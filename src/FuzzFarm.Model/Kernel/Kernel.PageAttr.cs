namespace FuzzFarm.Model;

/// <summary>
/// pageattr.c: the permission-change entry points of §3, update_range_prot() with its split and lockless
/// walk, and the realm encrypt/decrypt passes. Written in the kernel's order so that preemption points fall where
/// the kernel can be preempted.
/// </summary>
public sealed partial class Kernel
{
    private int CallBody(TaskSlot t) => t.Kind == TaskKind.Implicit ? ImplicitBody(t) : CallBodyOf(t);

    private int CallBodyOf(TaskSlot t)
    {
        var addr = LmAddress((ulong)t.Page * Units.PAGE_SIZE);
        int pages = t.Pages;
        var ret = t.Op switch
        {
            CallOp.SetMemoryRo => ChangeMemoryCommon(t, addr, pages, Attr.ReadOnly, Attr.None),
            CallOp.SetMemoryRw => ChangeMemoryCommon(t, addr, pages, Attr.None, Attr.ReadOnly),
            CallOp.SetMemoryX => ChangeMemoryCommon(t, addr, pages, Attr.None, Attr.Pxn),
            CallOp.SetMemoryNx => ChangeMemoryCommon(t, addr, pages, Attr.Pxn, Attr.None),
            CallOp.SetMemoryValid => SetMemoryValid(addr, pages, t.Enable),
            CallOp.KfenceProtect => KfenceProtectPage(addr, protect: true),
            CallOp.KfenceUnprotect => KfenceProtectPage(addr, protect: false),
            CallOp.SetDirectMapInvalidNoflush => CanSetDirectMap() ? UpdateRangeProt(addr, Units.PAGE_SIZE, Attr.None, Attr.Valid) : 0,
            CallOp.SetDirectMapDefaultNoflush =>
                CanSetDirectMap() ? UpdateRangeProt(addr, Units.PAGE_SIZE, Attr.Valid, Attr.ReadOnly) : 0,
            CallOp.SetDirectMapValidNoflush => CanSetDirectMap() ? SetMemoryValid(addr, pages, t.Enable) : 0,
            CallOp.KernelMapPages => KernelMapPages(addr, pages, t.Enable),
            CallOp.SetMemoryDecrypted => SetMemoryEncDec(addr, pages, encrypt: false),
            CallOp.SetMemoryEncrypted => SetMemoryEncDec(addr, pages, encrypt: true),
            CallOp.KfenceInitLate => KfenceInitLate(),
            CallOp.GmemFolioZapDirectMap => GmemFolioZapDirectMap(addr, pages),
            CallOp.GmemFolioRestoreDirectMap => CanSetDirectMap() ? SetMemoryValid(addr, pages, enable: true) : 0,
            CallOp.ArchAddMemory => AddMemory(),
            _ => -Units.EINVAL,
        };
        if (!_ghost)
        {
            // Reached once per call: the run that completes it (every other run of the body stopped earlier).
            if (t.Op is CallOp.SetMemoryDecrypted or CallOp.SetMemoryEncrypted)
                RealmShareFailedChecker.OnReturn(this, ret, "__set_memory_enc_dec");
            PermNotAppliedChecker.OnCallReturn(this, t, ret);
        }

        return ret;
    }

    /// <summary>Calls the kernel makes on its own at boot phases (never labelled with an assumption).</summary>
    private int ImplicitBody(TaskSlot t) => t.Op switch
    {
        CallOp.SetMemoryDecrypted when t.Page == 0 && t.Pages == 0 => SwiotlbUpdateMemAttributes(),
        CallOp.KfenceInitLate => KfenceInitPool(),
        _ => CallBodyOf(t),
    };

    /// <summary>
    /// guest_memfd taking a folio out of the direct map (domain §9): only where can_set_direct_map() allows it (else the
    /// folio stays mapped and nothing is called), set_direct_map_invalid_noflush() over the whole folio, then the TLB
    /// flush guest_memfd does itself. [inferred] The project's reading of the 2026 series: one update_range_prot() over
    /// the folio, and one can_set_direct_map() read for guest_memfd's gate and the helper's own (it cannot change at runtime).
    /// </summary>
    private int GmemFolioZapDirectMap(ulong addr, int pages)
    {
        if (!CanSetDirectMap()) return 0;
        var ret = UpdateRangeProt(addr, (ulong)pages * Units.PAGE_SIZE, Attr.None, Attr.Valid);
        FlushTlbKernelRange();
        return ret;
    }

    /// <summary>
    /// add_memory() of the machine's hot-add RAM: mem_hotplug_begin() takes cpus_read_lock() (and mem_hotplug_lock,
    /// not modelled: the machine has one hot-add), then arch_add_memory() maps the range with NO_BLOCK|NO_CONT when the
    /// version's force_pte_mapping() says so (final caps after FINALIZE), else with the largest leaves alignment allows.
    /// </summary>
    private int AddMemory()
    {
        CpusReadLock();
        var forcePte = ForcePteMapping();
        if (!Replayed(out _))
        {
            var s = _config.RamBytes;
            var e = s + _config.HotaddBytes;
            _writePoint = Point.Oracle;
            LayoutBuilder.MapRange(_map, s, e, noBlock: forcePte, noCont: forcePte, KernelAttrs);
            _hotaddMapped = true;
            _sink?.OnNote(_eventIndex, (byte)CurrentCpu, forcePte ? "arch_add_memory: force_pte_mapping(): hot-added RAM page-mapped"
                : "arch_add_memory: hot-added RAM block-mapped");
            LinearMapWrites.AfterWrite(this, s, e);
            DpaNotPteChecker.AfterHotadd(this, s, e);
            Record(Point.Oracle, 0);
        }

        CpusReadUnlock();
        return 0;
    }

    /// <summary>__kernel_map_pages(page, numpages, enable): void in the kernel, so an error is dropped there.</summary>
    private int KernelMapPages(ulong addr, int pages, bool enable)
    {
        if (!CanSetDirectMap()) return 0;
        var ret = SetMemoryValid(addr, pages, enable);
        if (ret != 0 && !_ghost) PermNotAppliedChecker.OnDroppedError(this, enable ? DroppedBy.KernelMapPagesMap : DroppedBy.KernelMapPagesUnmap);
        return ret;
    }

    /// <summary>kfence_protect_page(addr, protect): set_memory_valid(addr, 1, !protect); return true — the error is dropped.</summary>
    private int KfenceProtectPage(ulong addr, bool protect)
    {
        var ret = SetMemoryValid(addr, 1, enable: !protect);
        if (ret != 0 && !_ghost) PermNotAppliedChecker.OnDroppedError(this, protect ? DroppedBy.KfenceProtect : DroppedBy.KfenceUnprotect);
        return ret;
    }

    /// <summary>
    /// kfence_init_pool() (mm/kfence/core.c): arch_kfence_init_pool(), then protect the first two pages and every
    /// object's right redzone page (pages 0, 1, 3, 5, …) with kfence_protect().
    /// </summary>
    private int KfenceInitPool()
    {
        if (!_variant.ArchKfenceInitPool(this)) return -Units.ENOMEM;
        var pool = KfencePool;
        var pages = (int)(KfencePoolSize / Units.PAGE_SIZE);
        for (var i = 0; i < pages; i++)
        {
            if (i >= 2 && (i & 1) == 0) continue;
            KfenceProtectPage(pool + ((ulong)i * Units.PAGE_SIZE), protect: true);
        }

        return 0;
    }

    /// <summary>swiotlb_update_mem_attributes(): set_memory_decrypted() of the bounce buffer.</summary>
    private int SwiotlbUpdateMemAttributes()
    {
        var ret = SetMemoryEncDec(LmAddress(_config.SwiotlbOffset), (int)(_config.SwiotlbSize / Units.PAGE_SIZE), encrypt: false);
        if (!_ghost) RealmShareFailedChecker.OnReturn(this, ret, "swiotlb_update_mem_attributes");
        return ret;
    }

    /// <summary>kfence_init_late(): the pool now exists (__kfence_pool set), then arch_kfence_init_pool().</summary>
    private int KfenceInitLate()
    {
        if (!Replayed(out _))
        {
            _kfencePoolSet = true;
            Record(Point.Oracle, 0);
        }

        var ret = KfenceInitPool();
        if (!Replayed(out _))
        {
            _kfenceReady = ret == 0;
            KfenceNotPteChecker.Check(this, Point.None);
            Record(Point.Oracle, 0);
        }

        return ret;
    }

    /// <summary>
    /// change_memory_common() for set_memory_ro/rw/x/nx: the vmalloc area backed by the pages at addr. With
    /// rodata_full and an RDONLY change, each backing page's linear alias changes first (return value ignored).
    /// </summary>
    private int ChangeMemoryCommon(TaskSlot t, ulong addr, int pages, Attr set, Attr clear)
    {
        if (RodataFull && (set == Attr.ReadOnly || clear == Attr.ReadOnly))
        {
            for (var i = 0; i < pages; i++)
            {
                if (__ChangeMemoryCommon(addr + (ulong)i * Units.PAGE_SIZE, Units.PAGE_SIZE, set, clear) != 0)
                    t.AliasFailed = true;
            }
        }

        var vmalloc = Units.VMALLOC_START + (addr - Units.PAGE_OFFSET);
        return __ChangeMemoryCommon(vmalloc, (ulong)pages * Units.PAGE_SIZE, set, clear);
    }

    /// <summary>set_memory_valid(addr, numpages, enable).</summary>
    private int SetMemoryValid(ulong addr, int pages, bool enable) => enable
        ? __ChangeMemoryCommon(addr, (ulong)pages * Units.PAGE_SIZE, Attr.Valid, Attr.None)
        : __ChangeMemoryCommon(addr, (ulong)pages * Units.PAGE_SIZE, Attr.None, Attr.Valid);

    /// <summary>__change_memory_common(): update_range_prot() then a TLB flush unless only making entries valid.</summary>
    private int __ChangeMemoryCommon(ulong start, ulong size, Attr set, Attr clear)
    {
        var ret = UpdateRangeProt(start, size, set, clear);
        if (set != Attr.Valid || clear != Attr.None) FlushTlbKernelRange();
        return ret;
    }

    private void FlushTlbKernelRange()
    {
        if (!Replayed(out _)) Record(Point.FlushTlb, 0);
    }

    /// <summary>update_range_prot(): split the boundaries, WARN on failure, then walk the range locklessly.</summary>
    private int UpdateRangeProt(ulong start, ulong size, Attr set, Attr clear)
    {
        var ret = SplitKernelLeafMappingChecked(start, start + size);
        if (ret != 0)
        {
            WarnOnOnceSplitFailed(ret);
            return ret;
        }

        return WalkKernelPageTableRange(start, start + size, set, clear);
    }

    /// <summary>The variant's split, bracketed so the oracle knows whether this very split WARNed.</summary>
    private int SplitKernelLeafMappingChecked(ulong start, ulong end)
    {
        if (_cur is not null) _cur.SplitWarned = false;
        var ret = _variant.SplitKernelLeafMapping(this, start, end);
        if (!Replayed(out _))
        {
            SpuriousEbusyChecker.OnSplitReturn(this, start, end, ret, _cur?.SplitWarned ?? false);
            if (ret == 0) UnsplittableRequestChecker.OnSplitReturn(this, start, end);
            Record(Point.Oracle, 0);
        }

        return ret;
    }

    /// <summary>update_range_prot()'s WARN_ON_ONCE(ret) after a failed split.</summary>
    private void WarnOnOnceSplitFailed(int ret)
    {
        if (Replayed(out _)) return;
        SplitWarnChecker.OnUpdateRangeProtWarn(this);
        Record(Point.Warn, 1);
    }

    /// <summary>walk_kernel_page_table_range_lockless() with the pageattr callbacks; atomic in the model.</summary>
    private int WalkKernelPageTableRange(ulong start, ulong end, Attr set, Attr clear)
    {
        if (Replayed(out var v)) return (int)v;
        var ret = 0;
        if (IsLinear(start))
        {
            var e = Math.Min(Off(end - 1) + 1, MappedRamEnd);
            _writePoint = Point.Walk;
            ret = Walk(Off(start), e, set, clear);
            if (ret == 0) PermNotAppliedChecker.OnWalkApplied(this, Off(start), e, set, clear);
        }

        return (int)Record(Point.Walk, ret);
    }

    private int Walk(ulong s, ulong e, Attr set, Attr clear)
    {
        var a = s;
        while (a < e)
        {
            var i = _map.Find(a);
            if (i < 0) return 0;
            var r = _map[i];
            if (r.Level == Level.Pte)
            {
                var pteEnd = Math.Min(r.End, e);
                ApplyAttrs(a, pteEnd, set, clear);
                a = pteEnd;
                continue;
            }

            var size = Units.LeafSize(r.Level);
            var leafStart = Units.AlignDown(a, size);
            if (_config.Walker == WalkerMode.Sect && (r.Attrs & Attr.Valid) == 0)
            {
                // Before 15bfba1ad77f p?d_sect() is false for an invalid block: the walk passes it by untouched.
                a = Math.Min(r.End, e);
                continue;
            }

            if (leafStart < a || leafStart + size > e)
            {
                WalkerWarnChecker.OnPartialBlock(this, r.Level);
                return -Units.EINVAL;
            }

            var segEnd = Math.Min(r.End, Units.AlignDown(e, size));
            ApplyAttrs(a, segEnd, set, clear);
            a = segEnd;
        }

        return 0;
    }

    private void ApplyAttrs(ulong s, ulong e, Attr set, Attr clear)
    {
        var from = _map.CutAt(s);
        var to = _map.CutAt(e);
        for (var i = from; i < to; i++)
        {
            ref var r = ref _map.At(i);
            r.Attrs = (Attr)(((byte)r.Attrs & ~(byte)clear) | (byte)set);
        }

        _map.Normalize(from - 1, to + 1);
        LinearMapWrites.AfterWrite(this, s, e);
    }

    /// <summary>__set_memory_enc_dec(): break (invalid + NS_SHARED change), RSI call, make valid again.</summary>
    private int SetMemoryEncDec(ulong addr, int pages, bool encrypt)
    {
        if (!IsRealmWorld()) return 0;
        if (!IsLinear(addr)) return -Units.EINVAL;
        var size = (ulong)pages * Units.PAGE_SIZE;
        var ret = __ChangeMemoryCommon(
            addr, size, encrypt ? Attr.None : Attr.Shared, (encrypt ? Attr.Shared : Attr.None) | Attr.Valid);
        if (ret != 0) return ret;
        if (!Replayed(out _)) Record(Point.RsiSetMemoryRange, 0);
        return __ChangeMemoryCommon(addr, size, Attr.Valid, Attr.None);
    }
}
