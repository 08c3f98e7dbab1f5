using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// What makes two findings the same bug: the variant, the invariant and the guard or step where it happened
/// (the primitive and the oracle's detail). Different paths to the same place dedup to one signature.
/// </summary>
public readonly record struct Signature(string Variant, Invariant Invariant, Point Where, string Detail)
{
    public static Signature Of(string variant, in Violation v) => new(variant, v.Invariant, v.Where, v.Detail);

    /// <summary>Whether a violation of a run of <see cref="Variant"/> has this signature.</summary>
    public bool Matches(in Violation v) => v.Invariant == Invariant && v.Where == Where && v.Detail == Detail;

    /// <summary>A syzbot-style title: what broke, in the kernel's words, and where.</summary>
    public string Title => $"{Invariants.Title(Invariant)} ({Points.Name(Where)}: {Detail})";

    /// <summary>A stable file-name-safe key: variant, invariant id and a hash of place and detail.</summary>
    public string Key
    {
        get
        {
            var h = 14695981039346656037UL;
            foreach (var c in $"{Points.Name(Where)}|{Detail}") h = (h ^ c) * 1099511628211UL;
            return $"{Variant}--{Invariants.Id(Invariant)}--{h & 0xffffffffUL:x8}";
        }
    }

    public override string ToString() => $"{Variant} × {Invariants.Id(Invariant)} @ {Points.Name(Where)} [{Detail}]";
}
