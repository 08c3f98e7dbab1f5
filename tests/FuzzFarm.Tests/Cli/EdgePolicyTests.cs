using dnlib.DotNet;
using dnlib.DotNet.Emit;
using FuzzFarm.Cli.Instrumentation;

namespace FuzzFarm.Tests.Cli;

/// <summary>
/// What each SharpFuzz instrumentation policy leaves instrumented (issue 19 item 2): under <c>guards</c> the versions
/// and the guard primitives only, under <c>model</c> the model's logic as before. Read back from the instrumented
/// assemblies' IL, so the test fails if a site lands where the policy says it must not.
/// </summary>
public sealed class EdgePolicyTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), $"fuzzfarm-edge-policy-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    /// <summary>Instrumentation sites (loads of Trace.SharedMem) per "Type::Method" of one instrumented assembly.</summary>
    private static Dictionary<string, int> Sites(string dll)
    {
        using var module = ModuleDefMD.Load(File.ReadAllBytes(dll));
        var sites = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var method in module.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            var n = method.Body.Instructions.Count(i => i.OpCode.Code == Code.Ldsfld && i.Operand is IField { Name.String: "SharedMem" });
            if (n > 0) sites[$"{method.DeclaringType.FullName}::{method.Name}"] = n;
        }

        return sites;
    }

    [Fact]
    public void Guards_InstrumentsTheVersionsAndTheGuardPrimitivesOnly()
    {
        var dir = Instrumenter.Prepare(AppContext.BaseDirectory, EdgePolicy.Guards, _cache);
        var model = Sites(Path.Combine(dir, "FuzzFarm.Model.dll"));
        var variants = Sites(Path.Combine(dir, "FuzzFarm.Variants.dll"));

        Assert.Contains(variants.Keys, k => k.StartsWith("FuzzFarm.Variants.RealmV2TrylockHeld::SplitKernelLeafMapping", StringComparison.Ordinal));
        Assert.Contains(model.Keys, k => k.StartsWith("FuzzFarm.Model.SplitVariant::ForcePteMapping", StringComparison.Ordinal));
        Assert.Contains(model.Keys, k => k == "FuzzFarm.Model.Kernel::CpusReadTrylock");
        foreach (var key in model.Keys)
        {
            var (type, method) = (key[..key.IndexOf("::", StringComparison.Ordinal)], key[(key.IndexOf("::", StringComparison.Ordinal) + 2)..]);
            Assert.True(type == "FuzzFarm.Model.SplitVariant" || (type == "FuzzFarm.Model.Kernel" && Instrumenter.GuardMethods.Contains(method)),
                $"{key} is instrumented under the guards policy");
        }
    }

    [Fact]
    public void Model_AlsoInstrumentsThePageTableArithmeticAndTheOracle()
    {
        var guards = Sites(Path.Combine(Instrumenter.Prepare(AppContext.BaseDirectory, EdgePolicy.Guards, _cache), "FuzzFarm.Model.dll"));
        var model = Sites(Path.Combine(Instrumenter.Prepare(AppContext.BaseDirectory, EdgePolicy.Model, _cache), "FuzzFarm.Model.dll"));

        Assert.Contains(model.Keys, k => k.StartsWith("FuzzFarm.Model.Kernel::SplitBlock", StringComparison.Ordinal));
        Assert.DoesNotContain(guards.Keys, k => k.StartsWith("FuzzFarm.Model.Kernel::SplitBlock", StringComparison.Ordinal));
        Assert.True(model.Values.Sum() > 3 * guards.Values.Sum(), $"model {model.Values.Sum()} sites, guards {guards.Values.Sum()}");
    }

    [Fact]
    public void Policy_DefaultsToGuards_AndABadValueNamesTheVariable()
    {
        Assert.Equal(EdgePolicy.Guards, Instrumenter.ParsePolicy(null));
        Assert.Equal(EdgePolicy.Guards, Instrumenter.ParsePolicy(" "));
        Assert.Equal(EdgePolicy.Model, Instrumenter.ParsePolicy("model"));
        var e = Assert.Throws<InvalidOperationException>(() => Instrumenter.ParsePolicy("branches"));
        Assert.Contains("FUZZFARM_EDGES", e.Message, StringComparison.Ordinal);
        Assert.Contains("branches", e.Message, StringComparison.Ordinal);
    }
}
