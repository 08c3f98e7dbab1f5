using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Variants;

/// <summary>
/// Every shipped version has its kernel-style C text embedded as <c>c/&lt;id&gt;.c</c> (issue 17), and every C text
/// belongs to a version.
/// </summary>
public sealed class CTextsTests
{
    private static readonly System.Reflection.Assembly _assembly = typeof(VariantCatalog).Assembly;

    public static TheoryData<string> Ids => [.. VariantCatalog.Ids];

    [Theory]
    [MemberData(nameof(Ids))]
    public void EveryVersion_HasItsCText(string id)
    {
        using var stream = _assembly.GetManifestResourceStream($"c/{id}.c");
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        Assert.Contains("split_kernel_leaf_mapping(unsigned long start, unsigned long end)", text, StringComparison.Ordinal);
        Assert.Contains(VariantCatalog.Get(id).Id, text, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryCText_BelongsToAVersion()
    {
        var texts = _assembly.GetManifestResourceNames().Where(n => n.StartsWith("c/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(texts);
        foreach (var name in texts)
            Assert.True(VariantCatalog.TryGet(name[2..^2], out _), $"{name} names no catalog version");
    }
}
