namespace FuzzFarm.Model;

/// <summary>
/// lock-order: cpu_hotplug_lock (read) before pgtable_split_lock only; stop_machine never entered with the mutex
/// held; locks balanced when a call returns; no task waits forever.
/// </summary>
internal static class LockOrderChecker
{
    private const string HotplugUnderMutex = "cpu_hotplug_lock taken with pgtable_split_lock held";
    private const string StopMachineUnderMutex = "stop_machine entered with pgtable_split_lock held";
    private const string Recursive = "pgtable_split_lock taken twice";
    private const string Deadlock = "task waits forever (deadlock)";
    private const string Unlocked = "page-table split without pgtable_split_lock";

    public static void OnHotplugReadAcquire(Kernel k)
    {
        if (k.CurrentHoldsMutex) k.Report(Invariant.LockOrder, Point.CpusReadLock, HotplugUnderMutex);
    }

    public static void OnStopMachine(Kernel k)
    {
        if (k.MutexHeld) k.Report(Invariant.LockOrder, Point.None, StopMachineUnderMutex);
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

    public static void OnDeadlock(Kernel k, TaskSlot t) => k.Report(Invariant.LockOrder, Point.None, Deadlock, task: t);
}
