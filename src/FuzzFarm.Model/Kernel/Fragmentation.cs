namespace FuzzFarm.Model;

/// <summary>
/// What the run's splits cost the linear map (§9: performance, not correctness; nothing merges leaves back).
/// Leaves are counted as the kernel writes them: split_pud() writes 512 PMD leaves, split_pmd() 512 PTEs, so a
/// PUD repainted to PTEs counts both. Block bytes lost: bytes mapped by a PUD or PMD block in the boot layout that
/// are now page-mapped (levels only go down, so every byte leaving the block levels is counted once).
/// </summary>
public readonly record struct Fragmentation(
    long PmdLeaves,
    long ContPmdLeaves,
    long PteLeaves,
    long ContPteLeaves,
    long TablePages,
    long ContGroupsBroken,
    long BlockBytesLost)
{
    /// <summary>Leaves created at every level.</summary>
    public long Leaves => PmdLeaves + ContPmdLeaves + PteLeaves + ContPteLeaves;

    /// <summary>What happened between two readings of the counters (<paramref name="b"/> earlier).</summary>
    public static Fragmentation operator -(Fragmentation a, Fragmentation b) => new(
        a.PmdLeaves - b.PmdLeaves, a.ContPmdLeaves - b.ContPmdLeaves, a.PteLeaves - b.PteLeaves, a.ContPteLeaves - b.ContPteLeaves,
        a.TablePages - b.TablePages, a.ContGroupsBroken - b.ContGroupsBroken, a.BlockBytesLost - b.BlockBytesLost);

    /// <summary>Nothing split.</summary>
    public bool IsZero => this == default;

    /// <summary>The level names used in JSON, metrics labels and text, in order.</summary>
    public static IReadOnlyList<string> LevelNames { get; } = ["pmd", "cont-pmd", "pte", "cont-pte"];

    /// <summary>Leaves created at the level named <see cref="LevelNames"/>[index].</summary>
    public long LeavesAt(int index) => index switch
    {
        0 => PmdLeaves,
        1 => ContPmdLeaves,
        2 => PteLeaves,
        3 => ContPteLeaves,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };
}

/// <summary>The kernel's running fragmentation counters (mutable; saved whole in snapshots).</summary>
internal struct FragmentationCounters
{
    internal long PmdLeaves;
    internal long ContPmdLeaves;
    internal long PteLeaves;
    internal long ContPteLeaves;
    internal long ContGroupsBroken;
    internal long BlockBytesLost;

    /// <summary>A table of 512 leaves published at <paramref name="level"/>.</summary>
    internal void Leaves(Level level, bool cont, long count)
    {
        if (level == Level.Pmd)
        {
            if (cont) ContPmdLeaves += count;
            else PmdLeaves += count;
        }
        else if (level == Level.Pte)
        {
            if (cont) ContPteLeaves += count;
            else PteLeaves += count;
        }
    }
}
