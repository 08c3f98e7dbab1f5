using FuzzFarm.Model;

namespace FuzzFarm.Variants;

/// <summary>
/// Every <see cref="SplitVariant"/> in this assembly, found by reflection: adding a version is adding one file.
/// Ordered by <see cref="SplitVariant.Order"/>, then id.
/// </summary>
public static class VariantCatalog
{
    private static readonly Lazy<IReadOnlyList<SplitVariant>> _all = new(Discover);

    public static IReadOnlyList<SplitVariant> All => _all.Value;

    public static IEnumerable<string> Ids => All.Select(v => v.Id);

    public static bool TryGet(string id, out SplitVariant variant)
    {
        variant = All.FirstOrDefault(v => v.Id == id)!;
        return variant is not null;
    }

    /// <summary>The variant with this id; the exception lists the known ids.</summary>
    public static SplitVariant Get(string id) =>
        TryGet(id, out var v) ? v : throw new KeyNotFoundException($"unknown variant '{id}' (known: {string.Join(", ", Ids)})");

    private static IReadOnlyList<SplitVariant> Discover()
    {
        var variants = typeof(VariantCatalog).Assembly.GetTypes()
            .Where(t => typeof(SplitVariant).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (SplitVariant)Activator.CreateInstance(t)!)
            .OrderBy(v => v.Order).ThenBy(v => v.Id, StringComparer.Ordinal)
            .ToList();
        var duplicate = variants.GroupBy(v => v.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"two variants share the id '{duplicate.Key}'");
        return variants;
    }
}
