using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// A root cause: the invariant the run broke first, what broke (the oracle's detail, with the split level and the
/// page-table level folded away), and the window it broke in (the machine as the causing call's guards saw it and
/// as it was when the invariant broke). Not the variant, not the split level: the same story at split_pud and at
/// split_pmd, or on five versions, is one root cause. <see cref="Variant"/> and <see cref="Where"/> say where this
/// instance was seen; they take no part in equality or the key.
/// </summary>
public readonly record struct Signature(string Variant, Invariant Invariant, Point Where, string Detail, ushort Window = 0)
{
    private const string PartialBlock = "partial block";

    public static Signature Of(string variant, in Violation v) => new(variant, v.Invariant, v.Where, v.Detail, v.Window);

    /// <summary>The detail that defines the cause (walker-warn at PUD or PMD level is one cause).</summary>
    public string Cause => CauseOf(Invariant, Detail);

    private static string CauseOf(Invariant invariant, string detail) => invariant == Invariant.WalkerWarn ? PartialBlock : detail;

    /// <summary>
    /// The part of the window that separates root causes: for a TLB conflict the whole window (a check made while the
    /// CPU already translated, a check-then-act, a hot-plug are different fixes); elsewhere the boot stage at the
    /// violation only.
    /// </summary>
    public int CauseWindow => KeyWindow(Invariant, Window);

    private static int KeyWindow(Invariant invariant, ushort window) =>
        invariant == Invariant.TlbConflict ? window & 0xfff : (window >> 6) & 7;

    /// <summary>Whether a violation is an instance of this root cause.</summary>
    public bool Matches(in Violation v) =>
        v.Invariant == Invariant && KeyWindow(v.Invariant, v.Window) == CauseWindow
        && string.Equals(CauseOf(v.Invariant, v.Detail), Cause, StringComparison.Ordinal);

    /// <summary>The same root cause (variant and place aside).</summary>
    public bool Equals(Signature other) =>
        Invariant == other.Invariant && CauseWindow == other.CauseWindow && string.Equals(Cause, other.Cause, StringComparison.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Invariant, CauseWindow, Cause);

    /// <summary>A syzbot-style title: what broke, in the kernel's words, and in which window.</summary>
    public string Title => $"{Invariants.Title(Invariant)} ({Cause}; {WindowText})";

    private string WindowText => Invariant == Invariant.TlbConflict ? RootCauseWindow.Describe(Window) : RootCauseWindow.Stage((Window >> 6) & 7);

    /// <summary>A stable file-name-safe key: the invariant id and a hash of the cause and the window.</summary>
    public string Key
    {
        get
        {
            var h = 14695981039346656037UL;
            foreach (var c in $"{Cause}|{CauseWindow}") h = (h ^ c) * 1099511628211UL;
            return $"{Invariants.Id(Invariant)}--{h & 0xffffffffUL:x8}";
        }
    }

    /// <summary>Whether this root cause is an expected refusal (a blackout -EBUSY and its WARN) rather than a hazard.</summary>
    public bool IsRefusal => Invariant == Invariant.SplitWarn;

    public override string ToString() => $"{Invariants.Id(Invariant)} [{Cause}] {WindowText} (seen on {Variant} @ {Points.Name(Where)})";
}

/// <summary>Words for a <see cref="Violation.Window"/>.</summary>
public static class RootCauseWindow
{
    private static readonly string[] _stages = ["before mem_init", "mem_init..kfence_init", "smp_init", "FINALIZE/repaint", "runtime"];

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
