namespace FuzzFarm.Model;

/// <summary>
/// The simulated arm64 machine's shape: CPUs and their features, RAM and its linear map, early parameters
/// and boot options. Immutable; equal configurations have equal <see cref="ConfigHash"/>.
/// </summary>
/// <remarks>
/// Addresses are byte offsets into RAM, which starts at physical <see cref="RamBasePhys"/> and is linear-mapped
/// at <see cref="Units.PAGE_OFFSET"/>. Per-CPU properties live in <see cref="CpuSpec"/> so later qualification
/// rules (BBML3, errata) add fields there rather than new masks here.
/// </remarks>
public sealed class MachineConfig : IEquatable<MachineConfig>
{
    public const int MaxCpus = 64;
    public const ulong RamBasePhys = 0x4000_0000UL;
    public const ulong MinRam = 64UL << 20;
    public const ulong MaxRam = 1UL << 40;
    public const ulong DefaultKfencePoolSize = 2UL << 20;

    /// <summary>arm64's memory block (section) size with 4 KiB pages (SECTION_SIZE_BITS 27): the hot-add granule.</summary>
    public const ulong HotaddGranule = 128UL << 20;

    private readonly CpuSpec[] _cpus;

    public MachineConfig(
        CpuSpec[] cpus,
        ulong ramBytes = 4UL << 30,
        RodataMode rodata = RodataMode.On,
        bool debugPagealloc = false,
        KfenceMode kfence = KfenceMode.Off,
        bool realm = false,
        BringupMode bringup = BringupMode.Serial,
        WalkerMode walker = WalkerMode.Leaf,
        int bootCpus = 0,
        ulong kaliasOffset = 0x20_0000,
        ulong kaliasSize = 0x1e0_0000,
        ulong kfencePoolOffset = 0xe020_0000,
        ulong kfencePoolSize = DefaultKfencePoolSize,
        ulong swiotlbOffset = 0,
        ulong swiotlbSize = 0,
        ulong itsOffset = 0,
        ulong itsSize = 0,
        bool guestMemfd = false,
        ulong hotaddBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        _cpus = (CpuSpec[])cpus.Clone();
        RamBytes = ramBytes;
        Rodata = rodata;
        DebugPagealloc = debugPagealloc;
        Kfence = kfence;
        Realm = realm;
        Bringup = bringup;
        Walker = walker;
        BootCpus = bootCpus == 0 ? cpus.Length : bootCpus;
        KaliasOffset = kaliasOffset;
        KaliasSize = kaliasSize;
        KfencePoolOffset = kfencePoolOffset;
        KfencePoolSize = kfencePoolSize;
        SwiotlbOffset = swiotlbOffset;
        SwiotlbSize = swiotlbSize;
        ItsOffset = itsOffset;
        ItsSize = itsSize;
        GuestMemfd = guestMemfd;
        HotaddBytes = hotaddBytes;
        var error = Validate();
        if (error is not null) throw new MachineConfigException(error);
    }

    /// <summary>Number of CPUs (1–64); CPU 0 boots.</summary>
    public int Cpus => _cpus.Length;

    /// <summary>CPUs 0..BootCpus-1 are brought up by smp_init(); the rest only by later hot-plug.</summary>
    public int BootCpus { get; }

    public ulong RamBytes { get; }
    public RodataMode Rodata { get; }
    public bool DebugPagealloc { get; }
    public KfenceMode Kfence { get; }
    public bool Realm { get; }
    public BringupMode Bringup { get; }
    public WalkerMode Walker { get; }

    /// <summary>The kernel alias [lm_alias(_text), lm_alias(__init_begin)) as an offset into RAM.</summary>
    public ulong KaliasOffset { get; }
    public ulong KaliasSize { get; }
    public ulong KfencePoolOffset { get; }
    public ulong KfencePoolSize { get; }

    /// <summary>swiotlb bounce buffer decrypted by swiotlb_update_mem_attributes() in a realm; size 0 = none.</summary>
    public ulong SwiotlbOffset { get; }
    public ulong SwiotlbSize { get; }

    /// <summary>GIC ITS tables a realm decrypts at init_IRQ (P8), allocated from the page allocator; size 0 = none.</summary>
    public ulong ItsOffset { get; }
    public ulong ItsSize { get; }

    /// <summary>
    /// KVM guests use guest_memfd files that remove their folios from the direct map (domain §9, 2026): folio
    /// removal and restore calls at runtime. Off by default (no such caller on the machine).
    /// </summary>
    public bool GuestMemfd { get; }

    /// <summary>
    /// RAM a memory hot-add (<c>arch_add_memory()</c>, ACPI or virtio-mem) brings at runtime, right above
    /// <see cref="RamBytes"/>; 0 = no hot-add. A multiple of <see cref="HotaddGranule"/>.
    /// </summary>
    public ulong HotaddBytes { get; }

    public CpuSpec Cpu(int index) => _cpus[index];

    public ReadOnlySpan<CpuSpec> CpuSpecs => _cpus;

    public bool RodataFull => Rodata == RodataMode.On;

    /// <summary>A machine of <paramref name="cpus"/> identical CPUs, all with or all without BBML2_NOABORT, defaults elsewhere.</summary>
    public static MachineConfig Uniform(int cpus, bool bbml2) =>
        new(Enumerable.Repeat(CpuSpec.WithBbml2(bbml2), cpus).ToArray());

    /// <summary>Returns null when the configuration is valid, else a message naming the offending key.</summary>
    /// <summary>offset..offset+size inside RAM, without the ulong sum wrapping around.</summary>
    private bool Inside(ulong offset, ulong size) => size <= RamBytes && offset <= RamBytes - size;

    public string? Validate()
    {
        if (_cpus.Length is < 1 or > MaxCpus) return $"cpus: {_cpus.Length} is out of range 1..{MaxCpus}";
        foreach (var c in _cpus)
        {
            if (c.BbmLevel > CpuSpec.MaxBbmLevel) return $"bbm: level {c.BbmLevel} is out of range 0..{CpuSpec.MaxBbmLevel}";
            if (c.MidrVariant > 15 || c.MidrRevision > 15) return $"midr: {c.MidrName} has a field out of range 0..15";
        }

        if (BootCpus < 1 || BootCpus > _cpus.Length) return $"boot-cpus: {BootCpus} is out of range 1..{_cpus.Length}";
        if (RamBytes < MinRam || RamBytes > MaxRam || !Units.IsAligned(RamBytes, Units.PMD_SIZE))
            return $"ram: {Units.FormatSize(RamBytes)} must be a multiple of 2M between 64M and 1024G";
        if (KaliasSize == 0 || !Units.IsAligned(KaliasOffset, Units.PAGE_SIZE) || !Units.IsAligned(KaliasSize, Units.PAGE_SIZE)
            || !Inside(KaliasOffset, KaliasSize))
            return "kalias: the kernel alias must be a non-empty page-aligned range inside RAM";
        if (Kfence != KfenceMode.Off)
        {
            if (KfencePoolSize == 0 || !Units.IsAligned(KfencePoolOffset, Units.PAGE_SIZE)
                || !Units.IsAligned(KfencePoolSize, Units.PAGE_SIZE) || !Inside(KfencePoolOffset, KfencePoolSize))
                return "kfence-pool: the pool must be a non-empty page-aligned range inside RAM";
            if (Overlaps(KfencePoolOffset, KfencePoolSize, KaliasOffset, KaliasSize))
                return "kfence-pool: the pool overlaps the kernel alias";
        }

        if (SwiotlbSize != 0)
        {
            if (!Units.IsAligned(SwiotlbOffset, Units.PAGE_SIZE) || !Units.IsAligned(SwiotlbSize, Units.PAGE_SIZE)
                || !Inside(SwiotlbOffset, SwiotlbSize))
                return "swiotlb: the bounce buffer must be a page-aligned range inside RAM";
            if (Overlaps(SwiotlbOffset, SwiotlbSize, KaliasOffset, KaliasSize))
                return "swiotlb: the bounce buffer overlaps the kernel alias";
        }

        if (ItsSize != 0)
        {
            if (!Units.IsAligned(ItsOffset, Units.PAGE_SIZE) || !Units.IsAligned(ItsSize, Units.PAGE_SIZE)
                || ItsOffset + ItsSize > RamBytes || ItsOffset + ItsSize < ItsOffset)
                return "its: the ITS tables must be a page-aligned range inside RAM";
            if (Overlaps(ItsOffset, ItsSize, KaliasOffset, KaliasSize))
                return "its: the ITS tables overlap the kernel alias";
        }

        if (HotaddBytes != 0 && (!Units.IsAligned(HotaddBytes, HotaddGranule) || HotaddBytes > MaxRam - RamBytes))
            return $"hotadd: {Units.FormatSize(HotaddBytes)} must be a multiple of 128M with ram + hotadd at most 1024G";

        return null;
    }

    private static bool Overlaps(ulong a, ulong aSize, ulong b, ulong bSize) => a < b + bSize && b < a + aSize;

    /// <summary>A stable 64-bit hash (FNV-1a over the canonical fields), printed in banners and finding records.</summary>
    public ulong ConfigHash
    {
        get
        {
            var h = 0xcbf29ce484222325UL;
            void Mix(ulong v)
            {
                for (var i = 0; i < 8; i++)
                {
                    h ^= (byte)(v >> (i * 8));
                    h *= 0x100000001b3UL;
                }
            }

            Mix((ulong)_cpus.Length);
            foreach (var c in _cpus)
            {
                // Revision-1 CPUs hash as they always did; a MIDR or BBM level of its own adds its fields.
                Mix((c.Bbml2Detected ? 1UL : 0) | (c.Bbml2Hardware ? 2UL : 0));
                if (!c.IsImplied)
                    Mix((ulong)c.Part | ((ulong)c.MidrVariant << 8) | ((ulong)c.MidrRevision << 16) | ((ulong)c.BbmLevel << 24) | (1UL << 32));
            }
            Mix(RamBytes);
            Mix(((ulong)Rodata) | ((ulong)Kfence << 8) | ((ulong)Bringup << 16) | ((ulong)Walker << 24)
                | (DebugPagealloc ? 1UL << 32 : 0) | (Realm ? 1UL << 33 : 0));
            Mix((ulong)BootCpus);
            Mix(KaliasOffset);
            Mix(KaliasSize);
            Mix(KfencePoolOffset);
            Mix(KfencePoolSize);
            Mix(SwiotlbOffset);
            Mix(SwiotlbSize);
            if (ItsSize != 0)
            {
                Mix(ItsOffset);
                Mix(ItsSize);
            }

            // Keys added with trace format revision 3 hash only when set, so older machines keep their hashes.
            if (GuestMemfd || HotaddBytes != 0)
            {
                Mix(GuestMemfd ? 1UL : 0);
                Mix(HotaddBytes);
            }

            return h;
        }
    }

    public bool Equals(MachineConfig? other) =>
        other is not null && _cpus.AsSpan().SequenceEqual(other._cpus) && RamBytes == other.RamBytes
        && Rodata == other.Rodata && DebugPagealloc == other.DebugPagealloc && Kfence == other.Kfence
        && Realm == other.Realm && Bringup == other.Bringup && Walker == other.Walker && BootCpus == other.BootCpus
        && KaliasOffset == other.KaliasOffset && KaliasSize == other.KaliasSize
        && KfencePoolOffset == other.KfencePoolOffset && KfencePoolSize == other.KfencePoolSize
        && SwiotlbOffset == other.SwiotlbOffset && SwiotlbSize == other.SwiotlbSize
        && ItsOffset == other.ItsOffset && ItsSize == other.ItsSize
        && GuestMemfd == other.GuestMemfd && HotaddBytes == other.HotaddBytes;

    public override bool Equals(object? obj) => Equals(obj as MachineConfig);

    public override int GetHashCode() => ConfigHash.GetHashCode();

    /// <summary>A copy with some fields changed (used by swarm generation and tests).</summary>
    public MachineConfig With(
        CpuSpec[]? cpus = null, ulong? ramBytes = null, RodataMode? rodata = null, bool? debugPagealloc = null,
        KfenceMode? kfence = null, bool? realm = null, BringupMode? bringup = null, WalkerMode? walker = null,
        int? bootCpus = null, ulong? kaliasOffset = null, ulong? kaliasSize = null, ulong? kfencePoolOffset = null,
        ulong? kfencePoolSize = null, ulong? swiotlbOffset = null, ulong? swiotlbSize = null, ulong? itsOffset = null,
        ulong? itsSize = null, bool? guestMemfd = null, ulong? hotaddBytes = null) =>
        new(cpus ?? _cpus, ramBytes ?? RamBytes, rodata ?? Rodata, debugPagealloc ?? DebugPagealloc, kfence ?? Kfence,
            realm ?? Realm, bringup ?? Bringup, walker ?? Walker,
            bootCpus ?? (cpus is not null && BootCpus == _cpus.Length ? cpus.Length : BootCpus),
            kaliasOffset ?? KaliasOffset, kaliasSize ?? KaliasSize, kfencePoolOffset ?? KfencePoolOffset,
            kfencePoolSize ?? KfencePoolSize, swiotlbOffset ?? SwiotlbOffset, swiotlbSize ?? SwiotlbSize,
            itsOffset ?? ItsOffset, itsSize ?? ItsSize, guestMemfd ?? GuestMemfd, hotaddBytes ?? HotaddBytes);
}

/// <summary>A machine configuration that cannot be simulated; the message names the key and the problem.</summary>
public sealed class MachineConfigException : Exception
{
    public MachineConfigException(string message) : base(message) { }

    public MachineConfigException() { }

    public MachineConfigException(string message, Exception inner) : base(message, inner) { }
}
