namespace FuzzFarm.Model;

/// <summary>
/// lock-order: cpu_hotplug_lock (read) before pgtable_split_lock only; every split by a task under the mutex; locks
/// balanced when a call returns.
/// </summary>
/// <remarks>
/// stop_machine() is not judged here: a task that holds pgtable_split_lock while it sleeps does not keep the
/// stopper threads from running, and the repaint (the only stop_machine callback that writes the linear map) takes
/// no lock. What a repaint does under a split that is suspended half-way shows in the map itself
/// (<c>repaint-incomplete</c>, <c>tlb-conflict</c>, <c>perm-overreach</c> at the suspended split's publish).
/// </remarks>
internal static class LockOrderChecker
{
    private const string HotplugUnderMutex = "cpu_hotplug_lock taken with pgtable_split_lock held";
    private const string Recursive = "pgtable_split_lock taken twice";
    private const string Unlocked = "page-table split without pgtable_split_lock";

    public static void OnHotplugReadAcquire(Kernel k)
    {
        if (k.CurrentHoldsMutex) k.Report(Invariant.LockOrder, Point.CpusReadLock, HotplugUnderMutex);
    }

    public static void OnRecursiveMutex(Kernel k, TaskSlot t) => k.Report(Invariant.LockOrder, Point.MutexLock, Recursive, task: t);

    public static void OnUnbalancedUnlock(Kernel k, string detail) => k.Report(Invariant.LockOrder, Point.None, detail);

    public static void OnTaskReturn(Kernel k, TaskSlot t)
    {
        if (k.TaskHoldsLocks(t, out var which)) k.Report(Invariant.LockOrder, Point.None, which, task: t);
    }

    /// <summary>Every split by a task happens under pgtable_split_lock (only the repaint, under stop_machine, may not).</summary>
    public static void OnTaskSplit(Kernel k, Point where)
    {
        if (k.CurrentTask is not null && !k.CurrentHoldsMutex) k.Report(Invariant.LockOrder, where, Unlocked);
    }
}

/// <summary>
/// hung-task (syzbot's "INFO: task hung"): a task waits for a lock that nobody can ever release — leaked by a task
/// that returned holding it (the lock stays held by nobody), or held by a task that itself waits in a cycle.
/// </summary>
internal static class HungTaskChecker
{
    private const string LeakedMutex = "waits forever for pgtable_split_lock, leaked by a task that returned holding it";
    private const string LeakedHotplug = "waits forever for cpu_hotplug_lock, leaked by a task that returned holding it";
    private const string Cycle = "waits forever in a lock cycle";

    public static void OnHung(Kernel k, TaskSlot t, bool leaked)
    {
        var detail = !leaked ? Cycle : t.BlockedOn == LockId.SplitMutex ? LeakedMutex : LeakedHotplug;
        k.Report(Invariant.HungTask, Points.LockPoint(t.BlockedOn), detail, task: t);
    }
}
