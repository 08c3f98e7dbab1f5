namespace FuzzFarm.KernelC;

/// <summary>
/// Machine-made mutants of a version's C text, one change at one site each, inside split_kernel_leaf_mapping():
/// a flipped comparison, an off-by-one in a constant compared against, a dropped negation, a dropped guard
/// (<c>if (…)</c> with its <c>return</c>), a refusal turned into success (<c>return -EBUSY</c> → <c>return 0</c>),
/// a dropped unlock. Textual and deterministic; a mutant the front end refuses is counted by the caller, not hidden.
/// </summary>
public static class CMutants
{
    /// <summary>One mutant: what changed, at which line of the original text, and the mutated text.</summary>
    public sealed record Mutant(string Name, int Line, string Text);

    private static readonly (string From, string To, string Name)[] _swaps =
    [
        (" > ", " >= ", "gt->ge"), (" >= ", " > ", "ge->gt"), (" < ", " <= ", "lt->le"), (" <= ", " < ", "le->lt"),
        (" == ", " != ", "eq->ne"), (" != ", " == ", "ne->eq"), ("> 1)", "> 2)", "off-by-one"), ("if (!", "if (", "drop-not"),
        ("return -EBUSY;", "return 0;", "ebusy->0"), (" && ", " || ", "and->or"), (" || ", " && ", "or->and"),
    ];

    /// <summary>The mutants of <paramref name="text"/>, in line order.</summary>
    public static IReadOnlyList<Mutant> Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var (from, to) = Body(lines);
        var list = new List<Mutant>();
        for (var i = from; i < to; i++)
        {
            var line = lines[i];
            var code = line.TrimStart();
            if (code.StartsWith("*", StringComparison.Ordinal) || code.StartsWith("/*", StringComparison.Ordinal) || code.StartsWith("//", StringComparison.Ordinal)) continue;
            foreach (var (a, b, name) in _swaps)
            {
                var at = line.IndexOf(a, StringComparison.Ordinal);
                if (at < 0) continue;
                list.Add(new Mutant($"{name}@{i + 1}", i + 1, Replace(lines, i, line[..at] + b + line[(at + a.Length)..])));
            }

            // A guard dropped: "if (…)" whose next line is a return (both lines go).
            if (code.StartsWith("if (", StringComparison.Ordinal) && !code.EndsWith('{') && i + 1 < to && lines[i + 1].TrimStart().StartsWith("return", StringComparison.Ordinal))
                list.Add(new Mutant($"drop-guard@{i + 1}", i + 1, Remove(lines, i, 2)));

            // A missing unlock.
            if (code.Contains("unlock(", StringComparison.Ordinal) && code.EndsWith(';'))
                list.Add(new Mutant($"drop-unlock@{i + 1}", i + 1, Remove(lines, i, 1)));
        }

        return list;
    }

    /// <summary>The lines of split_kernel_leaf_mapping()'s body: after its definition line, to its closing brace.</summary>
    private static (int From, int To) Body(string[] lines)
    {
        var start = Array.FindIndex(lines, l => l.StartsWith("int split_kernel_leaf_mapping(", StringComparison.Ordinal));
        if (start < 0) return (0, 0);
        var end = Array.FindIndex(lines, start + 1, l => l == "}");
        return (start + 1, end < 0 ? lines.Length : end);
    }

    private static string Replace(string[] lines, int index, string line)
    {
        var copy = (string[])lines.Clone();
        copy[index] = line;
        return string.Join('\n', copy);
    }

    private static string Remove(string[] lines, int index, int count) =>
        string.Join('\n', lines.Take(index).Concat(lines.Skip(index + count)));
}
