namespace FuzzFarm.Model;

/// <summary>The CPU implementations the BBML2_NOABORT allow-lists name (MIDR implementer + part number), or another.</summary>
public enum CpuPart : byte
{
    /// <summary>A part no allow-list names (its BBM level in ID_AA64MMFR2_EL1 may still say something).</summary>
    Other,
    CortexX4,
    NeoverseV3,
    NeoverseV3AE,
    AmpereOne,
    AmpereOneA,
    NvidiaOlympus,
}

/// <summary>
/// One CPU of the machine, split into what the kernel can <em>detect</em> — the MIDR (part, variant, revision) and
/// the BBM level of <c>ID_AA64MMFR2_EL1</c> — and what the hardware <em>does</em>: whether it can raise a TLB conflict
/// abort on a live block resize. A version decides from detection alone
/// (<see cref="SplitVariant.CpuQualifiesBbml2NoAbort"/>); the oracle judges by <see cref="Bbml2Hardware"/>.
/// </summary>
/// <param name="Part">The MIDR part.</param>
/// <param name="MidrVariant">The MIDR variant field (the X of rXpY).</param>
/// <param name="MidrRevision">The MIDR revision field (the Y of rXpY).</param>
/// <param name="BbmLevel">ID_AA64MMFR2_EL1.BBM (0..3): what the CPU claims architecturally.</param>
/// <param name="Bbml2Hardware">The hardware never raises a TLB conflict abort on a live block resize.</param>
public readonly record struct CpuSpec(CpuPart Part, byte MidrVariant, byte MidrRevision, byte BbmLevel, bool Bbml2Hardware)
{
    /// <summary>
    /// A CPU from the one-bit description of revision-1 traces: detected means a MIDR every version's allow-list
    /// admits (Neoverse-V3 r0p2, BBM level 2); not detected means a part no list names, BBM level 0.
    /// </summary>
    public CpuSpec(bool detected, bool hardware)
        : this(detected ? CpuPart.NeoverseV3 : CpuPart.Other, 0, detected ? (byte)2 : (byte)0, detected ? (byte)2 : (byte)0, hardware)
    {
    }

    /// <summary>The highest BBM level ID_AA64MMFR2_EL1 can report in the model.</summary>
    public const byte MaxBbmLevel = 3;

    /// <summary>On today's (upstream f12b435de2f2-era) BBML2_NOABORT MIDR allow-list: what trace key <c>bbml2=</c> names.</summary>
    public bool Bbml2Detected => MidrAllowList.Bbml2NoAbort2026.Contains(this);

    /// <summary>The hardware a CPU has when a trace does not say (<c>bbml2-hw</c> absent): allow-listed or BBM level 3.</summary>
    public bool DefaultHardware => Bbml2Detected || BbmLevel >= 3;

    /// <summary>True when the CPU is what <see cref="CpuSpec(bool, bool)"/> gives for its own detection bit.</summary>
    public bool IsImplied => this == new CpuSpec(Bbml2Detected, Bbml2Hardware);

    public static CpuSpec WithBbml2(bool has) => new(has, has);

    /// <summary>The MIDR as the kernel's messages print it: <c>neoverse-v3:r0p2</c>.</summary>
    public string MidrName => $"{MidrAllowList.PartName(Part)}:r{MidrVariant}p{MidrRevision}";
}
