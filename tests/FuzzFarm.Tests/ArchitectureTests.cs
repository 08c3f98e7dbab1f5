using System.Xml.Linq;

namespace FuzzFarm.Tests;

/// <summary>The project reference rules of shared/design/ARCHITECTURE.md, enforced on the csproj files.</summary>
public sealed class ArchitectureTests
{
    /// <summary>Project → the projects it may reference (anything not listed may reference nothing of ours).</summary>
    private static readonly Dictionary<string, string[]> _allowed = new()
    {
        ["FuzzFarm.Model"] = [],
        ["FuzzFarm.Variants"] = ["FuzzFarm.Model"],
        ["FuzzFarm.Language"] = ["FuzzFarm.Model"],
        ["FuzzFarm.KernelC"] = ["FuzzFarm.Model", "FuzzFarm.Variants"],
        ["FuzzFarm.Engine"] = ["FuzzFarm.Model", "FuzzFarm.Language"],
        ["FuzzFarm.Telemetry"] = [],
        ["FuzzFarm.Farm"] = ["FuzzFarm.Engine", "FuzzFarm.Language", "FuzzFarm.Model", "FuzzFarm.Telemetry"],
        ["FuzzFarm.Host"] = ["FuzzFarm.Farm", "FuzzFarm.Variants", "FuzzFarm.KernelC", "FuzzFarm.Engine", "FuzzFarm.Language", "FuzzFarm.Model", "FuzzFarm.Telemetry"],
        ["FuzzFarm.Cli"] = ["FuzzFarm.Host", "FuzzFarm.Engine", "FuzzFarm.Variants", "FuzzFarm.KernelC", "FuzzFarm.Language", "FuzzFarm.Model"],
    };

    /// <summary>The deterministic core: no packages but analyzers, and nothing of Orleans, Polly or OpenTelemetry.</summary>
    private static readonly string[] _core = ["FuzzFarm.Model", "FuzzFarm.Variants", "FuzzFarm.KernelC", "FuzzFarm.Language", "FuzzFarm.Engine"];

    /// <summary>
    /// The one runtime package the core may use: the Engine's edge observer points SharpFuzz.Common's
    /// <c>Trace.SharedMem</c> (a static holder of the instrumentation bitmap, no code) at its own map.
    /// </summary>
    private static readonly Dictionary<string, string[]> _corePackages = new() { ["FuzzFarm.Engine"] = ["SharpFuzz.Common"] };

    private static IEnumerable<string> SourceProjects =>
        Directory.GetFiles(Path.Combine(Corpus.RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories);

    [Fact]
    public void EverySourceProject_IsKnownToTheRules()
    {
        var names = SourceProjects.Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.True(_allowed.ContainsKey(n!), $"{n} has no reference rule"));
    }

    [Fact]
    public void ProjectReferences_FollowTheLayering()
    {
        foreach (var csproj in SourceProjects)
        {
            var name = Path.GetFileNameWithoutExtension(csproj);
            var refs = XDocument.Load(csproj).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value)).ToList();
            Assert.All(refs, r => Assert.True(_allowed[name].Contains(r), $"{name} must not reference {r}"));
        }
    }

    [Fact]
    public void DeterministicCore_UsesNoRuntimePackages_AndBansClockAndRandom()
    {
        foreach (var csproj in SourceProjects.Where(p => _core.Contains(Path.GetFileNameWithoutExtension(p))))
        {
            var doc = XDocument.Load(csproj);
            var packages = doc.Descendants("PackageReference").Select(p => p.Attribute("Include")!.Value).ToList();
            var allowed = _corePackages.GetValueOrDefault(Path.GetFileNameWithoutExtension(csproj)!, []);
            Assert.Empty(packages.Except(allowed));
            Assert.Equal("true", doc.Descendants("DeterministicCore").Single().Value);
        }

        var banned = File.ReadAllText(Path.Combine(Corpus.RepoRoot, "BannedSymbols.txt"));
        Assert.Contains("T:System.Random", banned, StringComparison.Ordinal);
        Assert.Contains("P:System.DateTime.Now", banned, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelAssembly_ReferencesOnlyTheBaseClassLibrary()
    {
        var refs = typeof(FuzzFarm.Model.Kernel).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.All(refs, r => Assert.True(r.StartsWith("System", StringComparison.Ordinal) || r == "netstandard", r));
    }
}
