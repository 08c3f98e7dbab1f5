namespace FuzzFarm.Model;

/// <summary>
/// arm64 4K-granule sizes and the kernel's error numbers, named as in the kernel so that variant code
/// reads like <c>arch/arm64/mm/mmu.c</c>.
/// </summary>
public static class Units
{
    public const ulong PAGE_SIZE = 4UL << 10;
    public const ulong CONT_PTE_SIZE = 16 * PAGE_SIZE;
    public const ulong PMD_SIZE = 2UL << 20;
    public const ulong CONT_PMD_SIZE = 16 * PMD_SIZE;
    public const ulong PUD_SIZE = 1UL << 30;
    public const int PTRS_PER_TABLE = 512;

    /// <summary>_PAGE_OFFSET(48): the first linear-map virtual address; RAM offset 0 maps here.</summary>
    public const ulong PAGE_OFFSET = 0xffff_0000_0000_0000UL;

    /// <summary>Start of the vmalloc area in the model; vmalloc addresses are always page-mapped.</summary>
    public const ulong VMALLOC_START = 0xffff_8000_8000_0000UL;

    public const int EIO = 5;
    public const int ENOMEM = 12;
    public const int EBUSY = 16;
    public const int EINVAL = 22;

    public static ulong AlignDown(ulong value, ulong size) => value & ~(size - 1);

    public static ulong AlignUp(ulong value, ulong size) => (value + size - 1) & ~(size - 1);

    public static bool IsAligned(ulong value, ulong size) => (value & (size - 1)) == 0;

    /// <summary>Leaf size of a level (PUD 1 GiB, PMD 2 MiB, PTE 4 KiB).</summary>
    public static ulong LeafSize(Level level) => level switch
    {
        Level.Pud => PUD_SIZE,
        Level.Pmd => PMD_SIZE,
        _ => PAGE_SIZE,
    };

    /// <summary>Size of a contiguous group at a level (16 entries); PUD has no contiguous hint on 4K.</summary>
    public static ulong ContSize(Level level) => level switch
    {
        Level.Pmd => CONT_PMD_SIZE,
        Level.Pte => CONT_PTE_SIZE,
        _ => PUD_SIZE,
    };

    /// <summary>Formats a byte size the way traces write it (4G, 64M, 2M, 4K or a hex number).</summary>
    public static string FormatSize(ulong bytes)
    {
        if (bytes != 0 && bytes % (1UL << 30) == 0) return $"{bytes >> 30}G";
        if (bytes != 0 && bytes % (1UL << 20) == 0) return $"{bytes >> 20}M";
        if (bytes != 0 && bytes % (1UL << 10) == 0) return $"{bytes >> 10}K";
        return $"0x{bytes:x}";
    }
}

/// <summary>Page-table level of a leaf.</summary>
public enum Level : byte
{
    Pte = 0,
    Pmd = 1,
    Pud = 2,
}
