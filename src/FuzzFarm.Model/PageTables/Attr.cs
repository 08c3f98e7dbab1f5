namespace FuzzFarm.Model;

/// <summary>The leaf attributes the model tracks (a subset of the arm64 descriptor bits).</summary>
[Flags]
public enum Attr : byte
{
    None = 0,

    /// <summary>PTE_VALID.</summary>
    Valid = 1,

    /// <summary>PTE_RDONLY (write permission removed).</summary>
    ReadOnly = 2,

    /// <summary>PTE_PXN: not executable by the kernel (the linear map default).</summary>
    Pxn = 4,

    /// <summary>PROT_NS_SHARED: shared with the realm's host.</summary>
    Shared = 8,
}

/// <summary>One maximal run of identical leaves: [Start, End) mapped at one level with one CONT bit and attributes.</summary>
/// <remarks>Addresses are RAM offsets. Start and End are multiples of the level's leaf size.</remarks>
public struct Leaf
{
    public ulong Start;
    public ulong End;
    public Level Level;
    public bool Cont;
    public Attr Attrs;

    public Leaf(ulong start, ulong end, Level level, bool cont, Attr attrs)
    {
        Start = start;
        End = end;
        Level = level;
        Cont = cont;
        Attrs = attrs;
    }

    public readonly bool SameShape(in Leaf other) => Level == other.Level && Cont == other.Cont && Attrs == other.Attrs;

    public override readonly string ToString() =>
        $"[{Start:x},{End:x}) {Level}{(Cont ? "+cont" : "")} {Attrs}";
}
