using FuzzFarm.KernelC;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

internal static partial class BenchCommand
{
    /// <summary>
    /// (e) an interpreted version (the C text c/realm-v2.c compiled by the kernel-C front end) against its C# twin:
    /// the executor alone, same machine and programs, plain assemblies. False when a signal stopped it.
    /// </summary>
    private static bool RunCText(Settings s, Figures f, TextWriter log)
    {
        log.WriteLine($"(e) interpreted c/realm-v2.c vs the C# realm-v2, executor alone, {FourCpus}, {s.Seconds / 4:F1}s each");
        var twin = VariantCatalog.Get("realm-v2");
        var interpreted = CVariant.Compile("c/realm-v2.c", VersionSource.Shipped(twin), "realm-v2", null);

        // Four alternating rounds each, so a load change on the machine hits both alike.
        double csharpRate = 0, cRate = 0, cAlloc = 0;
        for (var round = 0; round < 4 && !s.Stopped; round++)
        {
            csharpRate += ExecutorRate(null, s.Seconds / 16, twin).Rate / 4;
            var (rate, alloc, _, _) = ExecutorRate(null, s.Seconds / 16, interpreted);
            cRate += rate / 4;
            cAlloc = Math.Max(cAlloc, alloc);
        }

        f["csharp_twin_execs_per_sec"] = Math.Round(csharpRate);
        f["c_text_execs_per_sec"] = Math.Round(cRate);
        f["c_text_alloc_bytes_per_exec"] = Math.Round(cAlloc, 2);
        f["c_text_vs_csharp"] = Math.Round(cRate / csharpRate, 3);
        return !s.Stopped;
    }
}
