using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.KernelC;

/// <summary>
/// A version's text as a user gives it (C, or a unified diff against a shipped version's C text) turned into the C
/// the front end compiles: shared by <c>fuzzfarm check</c>, <c>replay --version-file</c>, <c>campaign start
/// --version-file</c> and the dashboard's check page.
/// </summary>
public static class VersionSource
{
    /// <summary>The C to compile: its name for errors, the text, the lines a patch changed, what the patch also touched.</summary>
    public sealed record Text(string Name, string Source, IReadOnlySet<int>? ChangedLines, IReadOnlyList<string> Notes);

    /// <summary>The C text of a shipped version (<c>c/&lt;id&gt;.c</c>, embedded in the Variants assembly).</summary>
    public static string Shipped(SplitVariant version)
    {
        ArgumentNullException.ThrowIfNull(version);
        using var stream = typeof(VariantCatalog).Assembly.GetManifestResourceStream($"c/{version.Id}.c")
            ?? throw new KernelCException($"--base {version.Id}: this build has no C text of it; supported: {string.Join(", ", VariantCatalog.Ids)}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The input as C; a patch is applied to the base's C text. Every failure is one <see cref="KernelCException"/> line.</summary>
    public static Text From(string name, string text, SplitVariant? baseVersion)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!UnifiedPatch.Looks(text)) return new Text(name, text, null, []);
        if (baseVersion is null)
            throw new KernelCException($"{name}:1:1: a patch needs the text it applies to; supported: --base VERSION (one of {string.Join(", ", VariantCatalog.Ids)})");
        var patched = UnifiedPatch.Apply(name, text, $"c/{baseVersion.Id}.c", Shipped(baseVersion));
        return new Text($"{name} on c/{baseVersion.Id}.c", patched.Text, patched.ChangedLines,
            patched.OtherFiles.Select(f => $"not modelled from your patch: {f} changed; the model's own is used").ToList());
    }

    /// <summary>Compiles a text under an id, its base supplying what it does not define.</summary>
    public static CVariant Compile(Text text, string id, SplitVariant? baseVersion)
    {
        ArgumentNullException.ThrowIfNull(text);
        var variant = CVariant.Compile(text.Name, text.Source, id, baseVersion, text.ChangedLines);
        return text.Notes.Count == 0 ? variant : variant.WithNotes(text.Notes);
    }
}
