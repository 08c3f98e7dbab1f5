namespace FuzzFarm.Model;

/// <summary>A sleeping kernel mutex the model knows by name.</summary>
public sealed class KernelMutex
{
    internal KernelMutex(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public override string ToString() => Name;
}

/// <summary>The locks variants take, named as in the kernel (<c>using static FuzzFarm.Model.KernelLocks;</c>).</summary>
public static class KernelLocks
{
    /// <summary>pgtable_split_lock (mmu.c): serialises splitters of the linear map.</summary>
#pragma warning disable CA1707, IDE1006 // The kernel's name, so that variants read like mmu.c.
    public static readonly KernelMutex pgtable_split_lock = new("pgtable_split_lock");
#pragma warning restore CA1707, IDE1006
}
