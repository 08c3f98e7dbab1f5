namespace FuzzFarm.Model;

/// <summary>The boot timeline of §2 (phases P2–P12) and CPU bring-up and tear-down (smpboot, hotplug).</summary>
public sealed partial class Kernel
{
    private const Attr KernelAttrs = Attr.Valid | Attr.Pxn;

    /// <summary>Advances the boot through every phase up to <paramref name="target"/>.</summary>
    private void AdvanceTo(BootPhase target)
    {
        while (_phase < target && !_hung)
        {
            var next = _phase + 1;

            // Before smp_init() only start_kernel() runs (kernel_init and the scheduler's other threads come later):
            // a call it made returns before the boot goes on, so no call of an earlier phase is still in flight here.
            if (_phase < BootPhase.SmpInit) FinishBootThreadCalls();

            // smp_cpus_done() and stop_machine() wait for every bring-up and tear-down in flight; one that can never
            // finish hangs the boot there (hung-task was reported), and nothing after it happens.
            if (next >= BootPhase.Finalize && !WaitForHotplug())
            {
                _hung = true;
                return;
            }

            NoteActivity(null);
            _phase = next;
            _sink?.OnPhase(_eventIndex, next);
            RunPhase(next);
        }
    }

    private void FinishBootThreadCalls()
    {
        foreach (var t in Slots)
        {
            if (t.IsActive && t.IsPermCall && !CompleteTask(t)) Abandon(t);
        }
    }

    private void RunPhase(BootPhase phase)
    {
        switch (phase)
        {
            case BootPhase.MapMem:
                if (_variant.ProbesRsiBeforeMapMem) _isRealmWorld = _config.Realm;
                MapMem();
                break;
            case BootPhase.RsiInit:
                _isRealmWorld = _config.Realm;
                break;
            case BootPhase.BootCpuFeatures:
                _capBitBbml2 = (_detectedMask & 1UL) != 0;
                break;
            case BootPhase.MemblockFreeAll:
                // debug_pagealloc: memblock_free_all() hands every free page to the buddy allocator, unmapping it.
                if (_config.DebugPagealloc)
                    RunImplicit(CallOp.KernelMapPages, CallerCatalog.DpaFree, DpaFreePage(), DpaFreePages, enable: false);
                break;
            case BootPhase.MemInit:
                _pageAllocAvailable = true;
                break;
            case BootPhase.KfenceInit:
                // init_IRQ() (a realm decrypts the GIC ITS tables it allocates) comes before kfence_init().
                if (_config.Realm && _config.ItsSize != 0)
                {
                    RunImplicit(CallOp.SetMemoryDecrypted, CallerCatalog.GicIts, (uint)(_config.ItsOffset / Units.PAGE_SIZE),
                        (ushort)Math.Min(_config.ItsSize / Units.PAGE_SIZE, MachineEvent.MaxPages), enable: false);
                }

                if (_kfenceEarlyInit) RunImplicit(CallOp.KfenceInitLate, CallerCatalog.KfenceInitEarly);
                break;
            case BootPhase.Finalize:
                SetupSystemCapabilities();
                break;
            case BootPhase.Repaint:
                _variant.LinearMapMaybeSplitToPtes(this);
                RepaintIncompleteChecker.AfterRepaint(this);
                break;
            case BootPhase.Runtime:
                // mark_linear_text_alias_ro(): the alias becomes read-only (update_mapping_prot, not the split path).
                _writePoint = Point.None;
                ApplyAttrs(_config.KaliasOffset, _config.KaliasOffset + _config.KaliasSize, Attr.ReadOnly, Attr.None);
                break;
        }

        if (phase is BootPhase.MmPreinit or BootPhase.MemInit && phase == _variant.SwiotlbUpdateMemAttributesPhase
            && _config.SwiotlbSize != 0 && !_swiotlbDone)
        {
            _swiotlbDone = true;
            RunImplicit(CallOp.SetMemoryDecrypted,
                phase == BootPhase.MmPreinit ? CallerCatalog.SwiotlbPreinit : CallerCatalog.SwiotlbMemInit);
        }

        // mm_core_init(): mem_init() (page_alloc_available, then the realm's swiotlb decrypt above) comes before
        // kmem_cache_init(), which makes slab_is_available() true: a version may tell the two steps apart.
        if (phase == BootPhase.MemInit) _slabAvailable = true;
    }

    private const ushort DpaFreePages = 16;

    /// <summary>A free range for the debug_pagealloc traffic: after the kernel alias, clear of every other region.</summary>
    private uint DpaFreePage()
    {
        var c = _config;
        var s = Units.AlignUp(c.KaliasOffset + c.KaliasSize, Units.PMD_SIZE) + Units.PAGE_SIZE;
        const ulong size = DpaFreePages * Units.PAGE_SIZE;
        while (s + size <= c.RamBytes
            && ((c.Kfence != KfenceMode.Off && MapQueries.Overlaps(s, s + size, c.KfencePoolOffset, c.KfencePoolSize))
                || MapQueries.Overlaps(s, s + size, c.SwiotlbOffset, c.SwiotlbSize)
                || MapQueries.Overlaps(s, s + size, c.ItsOffset, c.ItsSize)))
            s += Units.CONT_PMD_SIZE;
        return (uint)(s / Units.PAGE_SIZE);
    }

    /// <summary>A call the kernel makes by itself at a phase (catalog row <paramref name="caller"/>), run to completion on the boot CPU.</summary>
    private void RunImplicit(CallOp op, int caller, uint page = 0, ushort pages = 0, bool enable = false)
    {
        var t = AllocSlot(TaskKind.Implicit, 0);
        if (t is null) return;
        t.Op = op;
        t.Page = page;
        t.Pages = pages;
        t.Enable = enable;
        t.StartWindow = WindowNow();
        _callersUsed |= 1u << caller;
        CompleteTask(t);
        if (op == CallOp.KfenceInitLate)
        {
            // kfence_init() with an early pool (__kfence_pool was set in map_mem()): usable if arch init agreed.
            _kfenceReady = t.State == TaskState.Done && t.Result == 0;
            KfenceNotPteChecker.Check(this, Point.None);
        }
    }

    /// <summary>paging_init() → map_mem(): linear_map_requires_bbml2 and the boot layout of the linear map.</summary>
    private void MapMem()
    {
        if (_kfenceEarlyInit) _kfencePoolSet = true;
        _depth++;
        _requiresBbml2 = _variant.MapMemLinearMapRequiresBbml2(this);
        var forcePte = _variant.ForcePteMapping(this);
        _depth--;
        var cached = forcePte ? _bootLayoutPtes : _bootLayoutBlocks;
        if (cached is null)
        {
            cached = BuildLayout(forcePte);
            if (forcePte) _bootLayoutPtes = cached;
            else _bootLayoutBlocks = cached;
        }

        _map.CopyFrom(cached);
        _mapMemDone = true;
        _sink?.OnNote(_eventIndex, 0, forcePte ? "map_mem: force_pte_mapping(): linear map page-mapped" : "map_mem: block mappings");
        DpaNotPteChecker.AfterMapMem(this);
    }

    private LinearMap BuildLayout(bool forcePte)
    {
        var map = new LinearMap();
        var c = _config;
        var ks = c.KaliasOffset;
        var ke = ks + c.KaliasSize;
        var pool = _kfenceEarlyInit;
        var ps = pool ? c.KfencePoolOffset : ulong.MaxValue;
        var pe = pool ? ps + c.KfencePoolSize : ulong.MaxValue;
        var a = 0UL;
        while (a < c.RamBytes)
        {
            if (a == ks)
            {
                LayoutBuilder.MapRange(map, ks, ke, noBlock: false, noCont: true, KernelAttrs);
                a = ke;
            }
            else if (a == ps)
            {
                LayoutBuilder.MapRange(map, ps, pe, noBlock: true, noCont: true, KernelAttrs);
                a = pe;
            }
            else
            {
                var end = c.RamBytes;
                if (ks > a) end = Math.Min(end, ks);
                if (ps > a) end = Math.Min(end, ps);
                LayoutBuilder.MapRange(map, a, end, forcePte, forcePte, KernelAttrs);
                a = end;
            }
        }

        return map;
    }

    /// <summary>P10: bring up the boot CPUs smp_init() has not yet brought up, then finalize under stop_machine.</summary>
    private void SetupSystemCapabilities()
    {
        for (var cpu = 1; cpu < _config.BootCpus; cpu++)
        {
            if ((_attempted & (1UL << cpu)) != 0) continue;
            var t = AllocSlot(TaskKind.CpuUp, 0);
            if (t is null) break;
            t.Cpu = (byte)cpu;
            t.BootTime = true;
            _attempted |= 1UL << cpu;
            _inflightBootBringups++;
            if (!CompleteTask(t))
            {
                _hung = true;
                return;
            }
        }

        _finalized = true;
        _sysBbml2 = _capBitBbml2;
        LateCpuAdmittedChecker.AfterFinalize(this);
    }

    /// <summary>_cpu_up(cpu) with the secondary's own steps (head.S MMU on, capability check, online).</summary>
    private int CpuUpBody(int cpu)
    {
        var parallel = _config.Bringup == BringupMode.Parallel && !_finalized;
        CpusWriteLock();
        CpuStep(Point.SecondaryMmuOn, cpu);
        if (parallel)
        {
            // Parallel bring-up: the MMU-on pass and the online pass are separate hotplug-lock sections.
            CpusWriteUnlock();
            CpusWriteLock();
        }

        var ok = CpuStep(Point.CheckLocalCpuCapabilities, cpu);
        CpuStep(ok ? Point.SetCpuOnline : Point.CpuDieEarly, cpu);
        CpusWriteUnlock();
        return ok ? 0 : -Units.EIO;
    }

    /// <summary>_cpu_down(cpu): offline, then the CPU dies and its MMU goes off.</summary>
    private int CpuDownBody(int cpu)
    {
        CpusWriteLock();
        CpuStep(Point.SetCpuOffline, cpu);
        CpuStep(Point.CpuMmuOff, cpu);
        CpusWriteUnlock();
        return 0;
    }

    private bool CpuStep(Point step, int cpu)
    {
        if (Replayed(out var v)) return v != 0;
        var bit = 1UL << cpu;
        var result = true;
        switch (step)
        {
            case Point.SecondaryMmuOn:
                _mmuOn |= bit; // TTBR1 = swapper_pg_dir: the CPU translates through the live linear map.
                break;
            case Point.CheckLocalCpuCapabilities:
                result = CheckLocalCpuCapabilities(cpu);
                break;
            case Point.SetCpuOnline:
                _online |= bit;
                LateCpuAdmittedChecker.OnCpuOnline(this, cpu);
                break;
            case Point.CpuDieEarly:
            case Point.CpuMmuOff:
                _mmuOn &= ~bit;
                _online &= ~bit;
                break;
            case Point.SetCpuOffline:
                _online &= ~bit;
                break;
        }

        return Record(step, result ? 1 : 0) != 0;
    }

    /// <summary>check_local_cpu_capabilities(): before FINALIZE a non-matching early CPU clears the cap bit;
    /// after, a late CPU lacking a cap the system relies on is refused ("Detected conflict for capability").</summary>
    private bool CheckLocalCpuCapabilities(int cpu)
    {
        var has = (_detectedMask & (1UL << cpu)) != 0;
        if (!_finalized)
        {
            if (!has) _capBitBbml2 = false;
            return true;
        }

        return has || !_sysBbml2;
    }
}
