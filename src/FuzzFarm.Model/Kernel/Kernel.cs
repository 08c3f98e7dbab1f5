namespace FuzzFarm.Model;

/// <summary>
/// The simulated arm64 machine and the kernel around split_kernel_leaf_mapping(): CPUs, boot phases, locks,
/// the linear map, and the primitives a <see cref="SplitVariant"/> calls. Variants see this class; the executor
/// drives it through <see cref="Machine"/>.
/// </summary>
/// <remarks>
/// <para>Concurrency. Every kernel call (a permission change, <c>_cpu_up()</c>, <c>_cpu_down()</c>) runs as a
/// task. Each primitive a task executes is logged; a preemption point is a primitive after which the task may be
/// stopped. To resume a task the machine runs its body again from the start: logged primitives return their
/// logged values without side effects, the next one runs for real. After a stop every primitive returns a neutral
/// value without effect ("ghost" mode) until the body returns. This keeps variants written as straight-line
/// kernel-like code, allocation-free and deterministic.</para>
/// <para>All state lives in preallocated fields and arrays; <see cref="Reset"/> restores a machine in place.</para>
/// </remarks>
public sealed partial class Kernel
{
    public const int MaxTasks = 64;
    public const int MaxViolations = 64;

    private readonly MachineConfig _config;
    private readonly SplitVariant _variant;
    private readonly LinearMap _map = new();
    private readonly ulong _detectedMask;
    private readonly ulong _hardwareMask;
    private readonly ulong _cpuMask;
    private readonly byte[] _callerTable;
    private LinearMap? _bootLayoutBlocks;
    private LinearMap? _bootLayoutPtes;

    // Boot and feature state (§2 globals).
    private BootPhase _phase;
    private bool _isRealmWorld;
    private bool _requiresBbml2;
    private bool _capBitBbml2;
    private bool _finalized;
    private bool _sysBbml2;
    private bool _pageAllocAvailable;
    private bool _slabAvailable;
    private bool _kfenceEarlyInit;
    private bool _kfencePoolSet;
    private bool _kfenceReady;
    private bool _mapMemDone;
    private bool _repainted;
    private bool _swiotlbDone;

    // Memory hot-add (arch_add_memory): started once; the new RAM is in the linear map once mapped.
    private bool _hotaddStarted;
    private bool _hotaddMapped;

    // CPUs as bit masks (bit i = CPU i).
    private ulong _online;
    private ulong _mmuOn;
    private ulong _ttbr1Reserved;
    private ulong _attempted;

    // Kernel callers (catalog rows) the run has made calls of.
    private uint _callersUsed;

    // Page-table accounting.
    private long _tablePages;
    private long _liveResizes;
    private FragmentationCounters _frag;

    public Kernel(MachineConfig config, SplitVariant variant)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(variant);
        _config = config;
        _variant = variant;
        _cpuMask = config.Cpus == 64 ? ulong.MaxValue : (1UL << config.Cpus) - 1;
        for (var i = 0; i < config.Cpus; i++)
        {
            var spec = config.Cpu(i);
            if (variant.CpuQualifiesBbml2NoAbort(spec)) _detectedMask |= 1UL << i;
            if (spec.Bbml2Hardware) _hardwareMask |= 1UL << i;
        }

        _callerTable = CallerCatalog.Table(config, variant);
        for (var i = 0; i < _tasks.Length; i++) _tasks[i] = new TaskSlot(i);
        Reset();
    }

    public MachineConfig Config => _config;

    public SplitVariant Variant => _variant;

    /// <summary>Restores the machine to its state after P1 (early parameters parsed), in place.</summary>
    public void Reset()
    {
        _phase = BootPhase.EarlyParam;
        _isRealmWorld = _requiresBbml2 = _capBitBbml2 = _finalized = _sysBbml2 = false;
        _pageAllocAvailable = _slabAvailable = _kfencePoolSet = _kfenceReady = _mapMemDone = _repainted = _swiotlbDone = false;
        _hotaddStarted = _hotaddMapped = false;
        _kfenceEarlyInit = _config.Kfence == KfenceMode.Early;
        _online = _mmuOn = _attempted = 1UL;
        _ttbr1Reserved = 0;
        _tablePages = _liveResizes = 0;
        _frag = default;
        _callersUsed = 0;
        _writePoint = Point.None;
        _map.Clear();
        ResetTasks();
        ResetOracle();
    }

    // ---- Read-only views for the executor, the CLI and tests ----

    public BootPhase Phase => _phase;

    public LinearMap Map => _map;

    public ulong OnlineMask => _online;

    public ulong MmuOnMask => _mmuOn;

    public bool Finalized => _finalized;

    public bool SystemBbml2 => _sysBbml2;

    public long TablePagesAllocated => _tablePages;

    public long LiveResizes => _liveResizes;

    /// <summary>What the run's splits cost the linear map so far (§9).</summary>
    public Fragmentation Fragmentation => new(
        _frag.PmdLeaves, _frag.ContPmdLeaves, _frag.PteLeaves, _frag.ContPteLeaves, _tablePages, _frag.ContGroupsBroken,
        _frag.BlockBytesLost);

    /// <summary>The catalog rows (<see cref="CallerCatalog.All"/> indexes, as bits) of the kernel callers the run made.</summary>
    public uint CallersUsed => _callersUsed;

    public bool CpuOnline(int cpu) => (_online & (1UL << cpu)) != 0;

    public bool CpuMmuOn(int cpu) => (_mmuOn & (1UL << cpu)) != 0;

    /// <summary>The linear-map virtual address of a RAM offset.</summary>
    public static ulong LmAddress(ulong ramOffset) => Units.PAGE_OFFSET + ramOffset;

    private bool IsLinear(ulong va) => va >= Units.PAGE_OFFSET && va - Units.PAGE_OFFSET < MappedRamEnd;

    /// <summary>End of the RAM the linear map covers: the machine's RAM, and the hot-added RAM once arch_add_memory() mapped it.</summary>
    internal ulong MappedRamEnd => _config.RamBytes + (_hotaddMapped ? _config.HotaddBytes : 0);

    /// <summary>Whether arch_add_memory() has mapped the hot-added RAM.</summary>
    public bool HotaddMapped => _hotaddMapped;

    /// <summary>Whether the machine's one arch_add_memory() call has started (a second is refused).</summary>
    public bool HotaddStarted => _hotaddStarted;

    private static ulong Off(ulong va) => va - Units.PAGE_OFFSET;

    private bool OverlapsKalias(ulong s, ulong e) =>
        s < _config.KaliasOffset + _config.KaliasSize && _config.KaliasOffset < e;

    private static int LowestBit(ulong mask) => System.Numerics.BitOperations.TrailingZeroCount(mask);
}
