namespace FuzzFarm.Model;

/// <summary>
/// A BBML2_NOABORT MIDR allow-list (<c>supports_bbml2_noabort_list[]</c> in cpufeature.c's has_bbml2_noabort()):
/// entries of one part with a range of revisions of variant 0 (<c>MIDR_REV_RANGE</c>) or every version
/// (<c>MIDR_ALL_VERSIONS</c>). The lists per kernel are in domain §1; which release gained which entry is partly
/// inferred (see each list).
/// </summary>
public sealed class MidrAllowList
{
    private readonly (CpuPart Part, bool AllVersions, byte MinRevision)[] _entries;

    private MidrAllowList(string name, params (CpuPart, bool, byte)[] entries)
    {
        Name = name;
        _entries = entries;
    }

    public string Name { get; }

    /// <summary>BBML2-FEAT (June 2025) and a166563e7ec3 (6.18-rc1): Cortex-X4 ≥ r0p3, Neoverse-V3 ≥ r0p2.</summary>
    public static readonly MidrAllowList Bbml2NoAbort2025 = new(
        "Cortex-X4 >= r0p3, Neoverse-V3 >= r0p2",
        (CpuPart.CortexX4, false, 3), (CpuPart.NeoverseV3, false, 2));

    /// <summary>
    /// Late 2025 (ce2b3a50ad92's tree): + Neoverse-V3AE ≥ r0p2 (erratum 3053180; "arm64: cpufeature: add
    /// Neoverse-V3AE to BBML2 allow list", &lt;20250919145832.4035534-4-ryan.roberts@arm.com&gt;) and AmpereOne,
    /// AmpereOne-A (all versions). [inferred] that both were in by the November 2025 fixes.
    /// </summary>
    public static readonly MidrAllowList Bbml2NoAbort2025Late = new(
        "+ Neoverse-V3AE >= r0p2, AmpereOne, AmpereOne-A",
        (CpuPart.CortexX4, false, 3), (CpuPart.NeoverseV3, false, 2), (CpuPart.NeoverseV3AE, false, 2),
        (CpuPart.AmpereOne, true, 0), (CpuPart.AmpereOneA, true, 0));

    /// <summary>2026 (the realm series' tree and later): + NVIDIA Olympus (all versions). [inferred] the release it landed in.</summary>
    public static readonly MidrAllowList Bbml2NoAbort2026 = new(
        "+ NVIDIA Olympus",
        (CpuPart.CortexX4, false, 3), (CpuPart.NeoverseV3, false, 2), (CpuPart.NeoverseV3AE, false, 2),
        (CpuPart.AmpereOne, true, 0), (CpuPart.AmpereOneA, true, 0), (CpuPart.NvidiaOlympus, true, 0));

    /// <summary>is_midr_in_range_list(): the CPU's MIDR matches an entry.</summary>
    public bool Contains(CpuSpec cpu)
    {
        foreach (var (part, all, min) in _entries)
        {
            if (part != cpu.Part) continue;
            if (all || (cpu.MidrVariant == 0 && cpu.MidrRevision >= min)) return true;
        }

        return false;
    }

    private static readonly string[] _names = ["other", "cortex-x4", "neoverse-v3", "neoverse-v3ae", "ampereone", "ampereone-a", "olympus"];

    /// <summary>The trace spelling of a part.</summary>
    public static string PartName(CpuPart part) => _names[(int)part];

    /// <summary>Every trace spelling, in enum order.</summary>
    public static IReadOnlyList<string> PartNames => _names;

    public override string ToString() => Name;
}
