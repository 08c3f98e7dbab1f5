using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>
/// The text names the trace format gives to boot phases and permission-change operations. They are part of the
/// stable trace format (see README.md): names are never changed, new ones are only appended.
/// </summary>
public static class TraceNames
{
    // Indexed by (int)BootPhase; index 0 is not a phase. "early-param" names the initial state so that messages
    // can print it; a trace can never advance to it.
    private static readonly string[] _phases =
    [
        "", "early-param", "map-mem", "rsi-init", "boot-cpu-features", "mm-preinit", "memblock-free-all", "mem-init",
        "kfence-init", "smp-init", "finalize", "repaint", "runtime",
    ];

    // Indexed by (int)CallOp, kernel spelling.
    private static readonly string[] _ops =
    [
        "set_memory_ro", "set_memory_rw", "set_memory_x", "set_memory_nx", "set_memory_valid",
        "set_direct_map_invalid_noflush", "set_direct_map_default_noflush", "set_direct_map_valid_noflush",
        "set_memory_decrypted", "set_memory_encrypted", "kfence_protect", "kfence_unprotect", "__kernel_map_pages",
        "kfence_init_late",
        "kvm_gmem_folio_zap_direct_map", "kvm_gmem_folio_restore_direct_map", "arch_add_memory",
    ];

    /// <summary>Number of <see cref="CallOp"/> values the format knows.</summary>
    public const int OpCount = 17;

    /// <summary>The operations of revisions 1 and 2 (the binary decoder's choice on machines without revision-3 keys).</summary>
    public const int Revision1OpCount = 14;

    /// <summary>The format revision that added an operation's name (1 for the original fourteen, 3 for guest_memfd and hot-add).</summary>
    public static int OpRevision(CallOp op) => (int)op < Revision1OpCount ? 1 : 3;

    /// <summary>False for the operations that take no address and no page count (they work on a region the machine names).</summary>
    public static bool TakesRange(CallOp op) => op is not (CallOp.KfenceInitLate or CallOp.ArchAddMemory);

    /// <summary>The guest_memfd folio operations (revision 3; they need <c>gmem=on</c> and a folio-sized range).</summary>
    public static bool IsGmemOp(CallOp op) => op is CallOp.GmemFolioZapDirectMap or CallOp.GmemFolioRestoreDirectMap;

    /// <summary>The format revision that added a preemption point's name (1 up to <c>cpu_mmu_off</c>).</summary>
    public static int PointRevision(Point point) => point <= Point.LazyMmu ? 1 : 2;

    /// <summary>True for a named boot phase (EarlyParam..Runtime).</summary>
    public static bool IsPhase(BootPhase phase) => phase is >= BootPhase.EarlyParam and <= BootPhase.Runtime;

    /// <summary>True for a defined <see cref="CallOp"/>.</summary>
    public static bool IsOp(CallOp op) => (int)op < OpCount;

    /// <summary>The trace name of a phase; undefined values print as <c>phase(N)</c> so messages never throw.</summary>
    public static string Phase(BootPhase phase) =>
        IsPhase(phase) ? _phases[(int)phase] : $"phase({(int)phase})";

    /// <summary>The kernel name of an operation; undefined values print as <c>op(N)</c>.</summary>
    public static string Op(CallOp op) => IsOp(op) ? _ops[(int)op] : $"op({(int)op})";

    public static bool TryParsePhase(string name, out BootPhase phase)
    {
        for (var i = (int)BootPhase.EarlyParam; i < _phases.Length; i++)
        {
            if (_phases[i] == name)
            {
                phase = (BootPhase)i;
                return true;
            }
        }

        phase = 0;
        return false;
    }

    public static bool TryParseOp(string name, out CallOp op)
    {
        for (var i = 0; i < _ops.Length; i++)
        {
            if (_ops[i] == name)
            {
                op = (CallOp)i;
                return true;
            }
        }

        op = 0;
        return false;
    }

    /// <summary>True for the three operations whose trace line carries <c>enable=</c>.</summary>
    public static bool TakesEnable(CallOp op) =>
        op is CallOp.SetMemoryValid or CallOp.SetDirectMapValidNoflush or CallOp.KernelMapPages;

    /// <summary>
    /// A variant id: <c>[a-z0-9][a-z0-9-']*</c>. Ids are not checked against a catalog here because the
    /// language must read traces written for variants this build does not know.
    /// </summary>
    public static bool IsVariantId(string? id)
    {
        if (string.IsNullOrEmpty(id) || !IsLowerAlnum(id[0])) return false;
        foreach (var c in id)
        {
            if (!IsLowerAlnum(c) && c != '-' && c != '\'') return false;
        }

        return true;
    }

    private static bool IsLowerAlnum(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
