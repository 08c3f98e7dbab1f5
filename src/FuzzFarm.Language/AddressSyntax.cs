using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>
/// Call addresses: <c>ram+OFF</c>, <c>kalias+OFF</c>, <c>kfence+OFF</c>, <c>swiotlb+OFF</c>, <c>hotadd+OFF</c> or an absolute
/// linear-map address. Region-relative forms keep traces readable and keep meaning when a region moves.
/// </summary>
internal static class AddressSyntax
{
    /// <summary>The canonical text of a page: inside the KFENCE pool, else the kernel alias, else RAM.</summary>
    public static string Format(MachineConfig m, uint page)
    {
        var offset = (ulong)page * Units.PAGE_SIZE;
        if (m.Kfence != KfenceMode.Off && Inside(offset, m.KfencePoolOffset, m.KfencePoolSize))
            return "kfence+" + TraceSyntax.Hex(offset - m.KfencePoolOffset);
        if (Inside(offset, m.KaliasOffset, m.KaliasSize)) return "kalias+" + TraceSyntax.Hex(offset - m.KaliasOffset);
        if (offset >= m.RamBytes) return "hotadd+" + TraceSyntax.Hex(offset - m.RamBytes);
        return "ram+" + TraceSyntax.Hex(offset);
    }

    /// <summary>Reads an address and returns its RAM page index; rejects unaligned and out-of-region addresses.</summary>
    public static uint Parse(MachineConfig m, string text)
    {
        var plus = text.IndexOf('+', StringComparison.Ordinal);
        ulong offset;
        if (plus < 0)
        {
            if (!TraceSyntax.TryParseNumber(text, out var va)) throw new TraceProblem($"addr: bad number '{text}'");
            if (va < Units.PAGE_OFFSET || va - Units.PAGE_OFFSET >= m.RamBytes + m.HotaddBytes)
                throw new TraceProblem($"addr: {text} is outside RAM (the linear map is {TraceSyntax.Hex(Units.PAGE_OFFSET)}"
                    + $" + {Units.FormatSize(m.RamBytes + m.HotaddBytes)})");
            offset = va - Units.PAGE_OFFSET;
        }
        else
        {
            offset = ParseRegion(m, text[..plus], text[(plus + 1)..], text);
        }

        if (!Units.IsAligned(offset, Units.PAGE_SIZE)) throw new TraceProblem($"addr: {text} is not page-aligned");
        return (uint)(offset / Units.PAGE_SIZE);
    }

    private static ulong ParseRegion(MachineConfig m, string region, string offsetText, string text)
    {
        var (start, size, name) = region switch
        {
            "ram" => (0UL, m.RamBytes, "RAM"),
            "kalias" => (m.KaliasOffset, m.KaliasSize, "the kernel alias"),
            "kfence" when m.Kfence == KfenceMode.Off =>
                throw new TraceProblem($"addr: {text}: the machine has no KFENCE pool (kfence=off)"),
            "kfence" => (m.KfencePoolOffset, m.KfencePoolSize, "the KFENCE pool"),
            "swiotlb" when m.SwiotlbSize == 0 =>
                throw new TraceProblem($"addr: {text}: the machine has no swiotlb bounce buffer"),
            "swiotlb" => (m.SwiotlbOffset, m.SwiotlbSize, "the swiotlb bounce buffer"),
            "hotadd" when m.HotaddBytes == 0 =>
                throw new TraceProblem($"addr: {text}: the machine has no hot-add RAM (no hotadd= key)"),
            "hotadd" => (m.RamBytes, m.HotaddBytes, "the hot-add RAM"),
            _ => throw new TraceProblem($"addr: unknown region '{region}' (expected ram, kalias, kfence, swiotlb or hotadd)"),
        };
        if (!TraceSyntax.TryParseSize(offsetText, out var offset)) throw new TraceProblem($"addr: bad number '{offsetText}'");
        if (offset >= size)
            throw new TraceProblem($"addr: {text} is outside {name} ({Units.FormatSize(size)})");
        return start + offset;
    }

    private static bool Inside(ulong offset, ulong start, ulong size) => offset >= start && offset - start < size;
}
