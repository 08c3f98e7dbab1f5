using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// A root cause: the invariant the run broke first, what broke (the oracle's detail, with the split level and the
/// page-table level folded away), and the window it broke in (the machine as the causing call's guards saw it and
/// as it was when the invariant broke). Not the variant, not the split level: the same story at split_pud and at
/// split_pmd, or on five versions, is one root cause. <see cref="Variant"/> and <see cref="Where"/> say where this
/// instance was seen; they take no part in equality or the key.
/// </summary>
public readonly record struct Signature(string Variant, Invariant Invariant, Point Where, string Detail, ushort Window = 0, ushort Guard = 0)
{
    private const string PartialBlock = "partial block";

    public static Signature Of(string variant, in Violation v) => new(variant, v.Invariant, v.Where, v.Detail, v.Window, v.Guard);

    /// <summary>
    /// What the causing call's guards decided, as far as it separates root causes (from the last gating guard it read
    /// and its answer): the version believed the range page-mapped (linear_map_requires_bbml2 false, force_pte_mapping
    /// true, a KFENCE address, finalized without BBML2_NOABORT: Z6), it refused to split for want of BBML2_NOABORT
    /// (system_ or cpu_supports_bbml2_noabort false: Z1), or it passed its guards. Versions with different guards that
    /// decide alike share the root cause. Not for a TLB conflict (the window says how the check failed), a sleep in
    /// atomic context (the sleeping point is the cause) nor a blackout WARN (its detail names the guard).
    /// </summary>
    public int CauseGuard => KeyGuard(Invariant, Guard);

    private const int BelievedPageMapped = 1, NoBbml2NoSplit = 2, PassedGuards = 3;

    private static int KeyGuard(Invariant invariant, ushort guard)
    {
        if (invariant is Invariant.SleepInAtomic or Invariant.SplitWarn or Invariant.TlbConflict || guard == 0) return 0;
        var value = (guard & 1) != 0;
        return (Point)(guard >> 1) switch
        {
            Point.LinearMapRequiresBbml2 when !value => BelievedPageMapped,
            Point.ForcePteMapping or Point.IsKfenceAddress or Point.SystemCapabilitiesFinalized when value => BelievedPageMapped,
            Point.CanSetDirectMap when !value => BelievedPageMapped,
            Point.SystemSupportsBbml2NoAbort or Point.CpuSupportsBbml2NoAbort when !value => NoBbml2NoSplit,
            _ => PassedGuards,
        };
    }

    /// <summary>The guards' decision in words ("" when it takes no part).</summary>
    public string GuardText => CauseGuard switch
    {
        BelievedPageMapped => "the version believed the range page-mapped",
        NoBbml2NoSplit => "no split without BBML2_NOABORT",
        PassedGuards => "the split passed its guards",
        _ => "",
    };

    /// <summary>The last gating guard this instance's call read, and its answer.</summary>
    public string LastGuard => Guard == 0 ? "none" : $"{Points.Name((Point)(Guard >> 1))} = {((Guard & 1) != 0 ? "true" : "false")}";

    /// <summary>The detail that defines the cause (walker-warn at PUD or PMD level is one cause).</summary>
    public string Cause => CauseOf(Invariant, Where, Detail);

    // A sleep in atomic context is its sleeping point (might_sleep() at mutex_lock and "scheduling while atomic" on
    // the contended mutex are one bug); a walker WARN is the partial block at any level.
    private static string CauseOf(Invariant invariant, Point where, string detail) => invariant switch
    {
        Invariant.WalkerWarn => PartialBlock,
        Invariant.SleepInAtomic => Points.Name(where),
        _ => detail,
    };

    /// <summary>
    /// The part of the window that separates root causes, no finer than the fixes differ. For a TLB conflict: whether
    /// the machine was finalized (smp_init's bring-up against a late hot-plug), and whether the CPUs changed between
    /// the guards' check and the split (check-then-act, Z8) or not (the check itself missed a translating CPU, Z3).
    /// Elsewhere the guards' decision (<see cref="CauseGuard"/>) is what a fix changes, and the same decision before
    /// or after FINALIZE is one bug (Z6's short-circuit at boot and at run time).
    /// </summary>
    public int CauseWindow => KeyWindow(Invariant, Window);

    private const int Finalized = 1, ChangedSinceCheck = 2;

    private static int KeyWindow(Invariant invariant, ushort window)
    {
        var start = window & 63;
        var act = (window >> 6) & 63;
        var finalized = (act & 7) >= 3 ? Finalized : 0;
        return invariant == Invariant.TlbConflict ? finalized | (start != act ? ChangedSinceCheck : 0) : 0;
    }

    /// <summary>Whether a violation is an instance of this root cause.</summary>
    public bool Matches(in Violation v) =>
        v.Invariant == Invariant && KeyWindow(v.Invariant, v.Window) == CauseWindow && KeyGuard(v.Invariant, v.Guard) == CauseGuard
        && string.Equals(CauseOf(v.Invariant, v.Where, v.Detail), Cause, StringComparison.Ordinal);

    /// <summary>The same root cause (variant and place aside).</summary>
    public bool Equals(Signature other) =>
        Invariant == other.Invariant && CauseWindow == other.CauseWindow && CauseGuard == other.CauseGuard && string.Equals(Cause, other.Cause, StringComparison.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Invariant, CauseWindow, CauseGuard, Cause);

    /// <summary>A syzbot-style title: what broke, in the kernel's words, and in which window.</summary>
    public string Title => $"{Invariants.Title(Invariant)} ({string.Join("; ", new[] { Cause, GuardText, Invariant == Invariant.TlbConflict ? WindowText : "" }.Where(p => p.Length > 0))})";

    private string WindowText => RootCauseWindow.Class(Invariant == Invariant.TlbConflict ? CauseWindow : -1);

    /// <summary>This instance's whole window in words (stage, CPU and lock facts at the split and at the check).</summary>
    public string InstanceWindow => RootCauseWindow.Describe(Window);

    /// <summary>A stable file-name-safe key: the invariant id and a hash of the cause and the window.</summary>
    public string Key
    {
        get
        {
            var h = 14695981039346656037UL;
            foreach (var c in CauseGuard == 0 ? $"{Cause}|{CauseWindow}" : $"{Cause}|{CauseWindow}|{GuardText}") h = (h ^ c) * 1099511628211UL;
            return $"{Invariants.Id(Invariant)}--{h & 0xffffffffUL:x8}";
        }
    }

    /// <summary>Whether this root cause is an expected refusal (a blackout -EBUSY and its WARN) rather than a hazard.</summary>
    public bool IsRefusal => Invariant == Invariant.SplitWarn;

    public override string ToString() => $"{Invariants.Id(Invariant)} [{Cause}]{(CauseGuard == 0 ? "" : " " + GuardText)} {WindowText} (seen on {Variant} @ {Points.Name(Where)} after {LastGuard}: {InstanceWindow})";
}

/// <summary>Words for a <see cref="Violation.Window"/>.</summary>
public static class RootCauseWindow
{
    private static readonly string[] _stages = ["before mem_init", "mem_init..kfence_init", "smp_init", "FINALIZE/repaint", "runtime"];

    /// <summary>A root cause's window class (<see cref="Signature.CauseWindow"/>; -1: any window) in words.</summary>
    public static string Class(int cls) => cls < 0
        ? "any window"
        : ((cls & 1) != 0 ? "after FINALIZE" : "before FINALIZE") + ((cls & 2) != 0 ? ", CPUs changed between check and split" : "");

    /// <summary>The boot stage of a 6-bit window part.</summary>
    public static string Stage(int part) => _stages[Math.Min(part & 7, _stages.Length - 1)];

    /// <summary>One 6-bit part in words: stage, then the CPU and lock facts that hold.</summary>
    public static string Part(int part)
    {
        var facts = new List<string> { Stage(part) };
        if ((part & 8) != 0) facts.Add("a CPU translating while not online");
        if ((part & 16) != 0) facts.Add(">1 CPU online");
        if ((part & 32) != 0) facts.Add("hotplug lock held for write");
        return string.Join(", ", facts);
    }

    /// <summary>The whole window: where it broke, and where the guards ran when that differs.</summary>
    public static string Describe(ushort window)
    {
        var start = window & 63;
        var act = (window >> 6) & 63;
        var text = start == act ? Part(act) : $"{Part(act)}; checked at {Part(start)}";
        return (window & (1 << 12)) != 0 ? text + "; atomic context" : text;
    }
}
