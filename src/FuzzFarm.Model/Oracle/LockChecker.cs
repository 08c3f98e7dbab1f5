namespace FuzzFarm.Model;

/// <summary>lock-order: cpu_hotplug_lock before pgtable_split_lock, no stop_machine under the mutex, balance.</summary>
internal static class LockChecker
{
    private const string HotplugUnderMutex = "cpu_hotplug_lock taken with pgtable_split_lock held";
    private const string StopMachineUnderMutex = "stop_machine entered with pgtable_split_lock held";
    private const string Recursive = "pgtable_split_lock taken twice";
    private const string Deadlock = "task waits forever (deadlock)";

    public static void OnHotplugReadAcquire(Kernel k)
    {
        if (k.CurrentHoldsMutex) k.Report(Invariant.LockOrder, Point.CpusReadLock, HotplugUnderMutex);
    }

    public static void OnStopMachine(Kernel k, string what)
    {
        _ = what;
        if (k.MutexHeld) k.Report(Invariant.LockOrder, Point.None, StopMachineUnderMutex);
    }

    public static void OnRecursiveMutex(Kernel k, TaskSlot t) => k.Report(Invariant.LockOrder, Point.MutexLock, Recursive, task: t);

    public static void OnUnbalancedUnlock(Kernel k, string detail) => k.Report(Invariant.LockOrder, Point.None, detail);

    public static void OnTaskReturn(Kernel k, TaskSlot t)
    {
        if (k.TaskHoldsLocks(t, out var which)) k.Report(Invariant.LockOrder, Point.None, which, task: t);
    }

    public static void OnDeadlock(Kernel k, TaskSlot t) => k.Report(Invariant.LockOrder, Point.None, Deadlock, task: t);
}
