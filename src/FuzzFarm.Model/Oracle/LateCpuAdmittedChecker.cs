namespace FuzzFarm.Model;

/// <summary>late-cpu-admitted: once the system relies on BBML2_NOABORT, every online CPU really has it.</summary>
internal static class LateCpuAdmittedChecker
{
    private const string Admitted = "online CPU lacks BBML2_NOABORT while the system relies on it";

    public static void OnCpuOnline(Kernel k, int cpu)
    {
        if (k.SystemBbml2 && (k.HardwareBbml2Mask & (1UL << cpu)) == 0)
            k.Report(Invariant.LateCpuAdmitted, Point.SetCpuOnline, Admitted, cpu);
    }

    public static void AfterFinalize(Kernel k)
    {
        var bad = k.OnlineMask & ~k.HardwareBbml2Mask;
        if (k.SystemBbml2 && bad != 0)
            k.Report(Invariant.LateCpuAdmitted, Point.None, Admitted, System.Numerics.BitOperations.TrailingZeroCount(bad));
    }
}
