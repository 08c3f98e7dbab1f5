namespace FuzzFarm.Model;

/// <summary>The oracle's invariants (§5). Their ids are stable: signatures, traces, tests and the CLI use them.</summary>
public enum Invariant : byte
{
    TlbConflict,
    SleepInAtomic,
    AllocBeforePageAllocator,
    WalkerWarn,
    SplitWarn,
    PermNotApplied,
    PermOverreach,
    ContInconsistent,
    RealmShareFailed,
    KfenceNotPte,
    DpaNotPte,
    LateCpuAdmitted,
    RepaintIncomplete,
    UnsplittableRequest,
    SpuriousEbusy,
    LockOrder,

    /// <summary>A task can never run again: the lock it waits for was leaked by a returned task, or a lock cycle.</summary>
    HungTask,
}

/// <summary>Whether a finding is a broken guarantee or a kernel WARNING that fired.</summary>
public enum FindingKind : byte
{
    Bug,
    Warning,
}

/// <summary>Stable id, syzbot-style title and kind of each <see cref="Invariant"/>.</summary>
public static class Invariants
{
    public const int Count = (int)Invariant.HungTask + 1;

    private static readonly (string Id, string Title, FindingKind Kind)[] _table =
    [
        ("tlb-conflict", "TLB conflict abort in split_kernel_leaf_mapping", FindingKind.Bug),
        ("sleep-in-atomic", "BUG: sleeping function called from invalid context in split_kernel_leaf_mapping", FindingKind.Bug),
        ("alloc-before-page-allocator", "BUG: page-table allocation before the page allocator in split_kernel_leaf_mapping", FindingKind.Bug),
        ("walker-warn", "WARNING in pageattr_pmd_entry (partial block)", FindingKind.Warning),
        ("split-warn", "WARNING in split_kernel_leaf_mapping (blackout)", FindingKind.Warning),
        ("perm-not-applied", "permission change returned 0 but was not applied", FindingKind.Bug),
        ("perm-overreach", "permission change leaked outside its range", FindingKind.Bug),
        ("cont-inconsistent", "inconsistent contiguous group in the linear map", FindingKind.Bug),
        ("realm-share-failed", "realm failed to share memory with the host", FindingKind.Bug),
        ("kfence-not-pte", "KFENCE pool page not page-mapped", FindingKind.Bug),
        ("dpa-not-pte", "debug_pagealloc with a block-mapped linear map", FindingKind.Bug),
        ("late-cpu-admitted", "late CPU without BBML2_NOABORT came online", FindingKind.Bug),
        ("repaint-incomplete", "block mapping left after the linear-map repaint", FindingKind.Bug),
        ("unsplittable-request", "direct-map change requested on an unsplittable mapping", FindingKind.Bug),
        ("spurious-ebusy", "permission change refused (-EBUSY) with nothing to split", FindingKind.Bug),
        ("lock-order", "lock order violation: pgtable_split_lock -> cpu_hotplug_lock", FindingKind.Bug),
        ("hung-task", "INFO: task hung in split_kernel_leaf_mapping", FindingKind.Bug),
    ];

    public static string Id(Invariant i) => _table[(int)i].Id;

    public static string Title(Invariant i) => _table[(int)i].Title;

    public static FindingKind Kind(Invariant i) => _table[(int)i].Kind;

    public static IEnumerable<Invariant> All => Enumerable.Range(0, Count).Select(i => (Invariant)i);

    public static bool TryParse(string id, out Invariant invariant)
    {
        for (var i = 0; i < _table.Length; i++)
        {
            if (_table[i].Id == id)
            {
                invariant = (Invariant)i;
                return true;
            }
        }

        invariant = default;
        return false;
    }
}
