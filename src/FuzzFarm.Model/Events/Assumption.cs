namespace FuzzFarm.Model;

/// <summary>Environment assumptions of §2c: what an interleaving needs beyond what today's kernel is known to do.</summary>
[Flags]
public enum Assumptions : byte
{
    None = 0,

    /// <summary>A permission change by a task other than smp_init's while a secondary is being brought up.</summary>
    AsyncDuringSmp = 1,

    /// <summary>A split requested before P7 (mem_init) by a caller the kernel does not have.</summary>
    EarlyCaller = 2,

    /// <summary>An atomic-context change outside KFENCE and debug_pagealloc.</summary>
    AtomicCaller = 4,

    /// <summary>CPU hot-plug after boot.</summary>
    LateHotplug = 8,

    /// <summary>A call preempted inside split_kernel_leaf_mapping()/update_range_prot() while others run.</summary>
    PreemptedCall = 16,

    /// <summary>
    /// A direct-map change no kernel caller makes: set_memory_valid() outside the KFENCE pool while
    /// can_set_direct_map() is false, a range that touches the kernel alias, or one straddling the KFENCE pool.
    /// (Project addition to §2c: the callers' side of the contract, so that strict runs judge only the guards.)
    /// </summary>
    UncheckedCaller = 32,

    /// <summary>A call no kernel caller makes in this boot phase and context (see the caller catalog).</summary>
    NoKnownCaller = 64,
}

/// <summary>Text names of <see cref="Assumptions"/> (stable ids).</summary>
public static class AssumptionNames
{
    private static readonly (Assumptions Flag, string Name)[] _all =
    [
        (Assumptions.AsyncDuringSmp, "async-during-smp"),
        (Assumptions.EarlyCaller, "early-caller"),
        (Assumptions.AtomicCaller, "atomic-caller"),
        (Assumptions.LateHotplug, "late-hotplug"),
        (Assumptions.PreemptedCall, "preempted-call"),
        (Assumptions.UncheckedCaller, "unchecked-caller"),
        (Assumptions.NoKnownCaller, "no-known-caller"),
    ];

    /// <summary>Parses a comma-separated list of names ("none" or empty: no assumption).</summary>
    public static bool TryParse(string text, out Assumptions set)
    {
        set = Assumptions.None;
        if (string.IsNullOrWhiteSpace(text) || text == "none") return true;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var i = Array.FindIndex(_all, a => a.Name == part);
            if (i < 0) return false;
            set |= _all[i].Flag;
        }

        return true;
    }

    public static IEnumerable<string> Names(Assumptions set) =>
        _all.Where(a => (set & a.Flag) != 0).Select(a => a.Name);

    public static string Format(Assumptions set) => set == Assumptions.None ? "none" : string.Join(",", Names(set));
}
