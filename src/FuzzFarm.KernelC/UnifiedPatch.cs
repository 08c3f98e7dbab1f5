namespace FuzzFarm.KernelC;

/// <summary>
/// A unified diff (<c>git format-patch</c> output, a patch mail, or <c>diff -u</c>) applied to one C text, as
/// <c>patch -p1</c> would: each hunk's context and removed lines must match the text exactly, at the line the hunk
/// names or the nearest offset from it; no fuzz. Only the sections for <c>mmu.c</c> (or the patch's single file)
/// touch the text; other files are named back, not applied.
/// </summary>
public static class UnifiedPatch
{
    /// <summary>
    /// True when <paramref name="text"/> is a patch rather than C: it holds a <c>diff --git</c> line, or a
    /// <c>--- FILE</c> / <c>+++ FILE</c> / <c>@@</c> header (mail headers and the message may come first).
    /// </summary>
    public static bool Looks(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.StartsWith("diff --git ", StringComparison.Ordinal)) return true;
            if (line.StartsWith("--- ", StringComparison.Ordinal) && i + 2 < lines.Length
                && lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal) && lines[i + 2].StartsWith("@@ ", StringComparison.Ordinal)) return true;
        }

        return false;
    }

    /// <summary>The result: the patched text, the new text's changed lines (1-based), and files the patch also touched.</summary>
    public sealed record Result(string Text, IReadOnlySet<int> ChangedLines, IReadOnlyList<string> OtherFiles, int Hunks);

    private sealed record Hunk(int PatchLine, int OldStart, List<(char Op, string Text)> Lines);

    /// <summary>
    /// Applies <paramref name="patch"/> (named <paramref name="patchName"/> in errors) to <paramref name="baseText"/>
    /// (named <paramref name="baseName"/>). Throws <see cref="KernelCException"/> naming the patch line on failure.
    /// </summary>
    public static Result Apply(string patchName, string patch, string baseName, string baseText)
    {
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(baseText);
        var lines = patch.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var sections = new List<(string File, int Line, List<Hunk> Hunks)>();
        List<Hunk>? current = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("--- ", StringComparison.Ordinal) && i + 1 < lines.Length && lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal))
            {
                var file = FileName(lines[i + 1][4..]);
                if (file == "/dev/null") file = FileName(line[4..]);
                current = [];
                sections.Add((file, i + 1, current));
                i++;
                continue;
            }

            if (!line.StartsWith("@@ ", StringComparison.Ordinal)) continue;
            if (current is null) throw Error(patchName, i + 1, "a hunk before any '--- a/FILE' / '+++ b/FILE' header");
            var (oldStart, oldCount, newCount) = HunkHeader(patchName, i + 1, line);
            var hunk = new Hunk(i + 1, oldStart, []);
            int seenOld = 0, seenNew = 0;
            while (seenOld < oldCount || seenNew < newCount)
            {
                i++;
                if (i >= lines.Length) throw Error(patchName, hunk.PatchLine, $"hunk ends early: {oldCount - seenOld} old and {newCount - seenNew} new line(s) missing");
                var body = lines[i];
                if (body.StartsWith('\\')) continue; // "\ No newline at end of file"
                var op = body.Length == 0 ? ' ' : body[0];
                var content = body.Length == 0 ? "" : body[1..];
                switch (op)
                {
                    case ' ': seenOld++; seenNew++; break;
                    case '-': seenOld++; break;
                    case '+': seenNew++; break;
                    default: throw Error(patchName, i + 1, $"a hunk line starting with '{op}' (expected ' ', '-' or '+')");
                }

                hunk.Lines.Add((op, content));
            }

            if (seenOld != oldCount || seenNew != newCount)
                throw Error(patchName, hunk.PatchLine, $"hunk header says -{oldCount} +{newCount} lines, body has -{seenOld} +{seenNew}");
            current.Add(hunk);
        }

        if (sections.Count == 0 || sections.All(s => s.Hunks.Count == 0))
            throw Error(patchName, 1, "a patch with no hunks; supported: unified diffs (git format-patch, diff -u)");
        var target = sections.Where(s => s.File.EndsWith("mmu.c", StringComparison.Ordinal)).ToList();
        if (target.Count == 0 && sections.Count == 1) target = sections;
        if (target.Count == 0)
            throw Error(patchName, sections[0].Line, $"the patch changes {string.Join(", ", sections.Select(s => s.File))}, not mmu.c; supported: a patch to arch/arm64/mm/mmu.c");
        if (target.Count > 1) throw Error(patchName, target[1].Line, $"two sections for {target[1].File}; supported: one per file");

        var text = baseText.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        var changed = new SortedSet<int>();
        var shift = 0; // lines added minus removed by the hunks applied so far
        var hunks = 0;
        var floor = 0;  // hunks apply in order: a later hunk never matches above the end of the previous one
        foreach (var hunk in target[0].Hunks)
        {
            var old = hunk.Lines.Where(l => l.Op != '+').Select(l => l.Text).ToList();
            var want = Math.Max(0, (hunk.OldStart == 0 ? 0 : hunk.OldStart - 1) + shift);
            var at = Find(text, old, want, floor);
            if (at < 0)
            {
                var first = hunk.Lines.FirstOrDefault(l => l.Op != '+').Text?.Trim() ?? "";
                throw Error(patchName, hunk.PatchLine,
                    $"hunk {hunks + 1} does not apply to {baseName} (its context near line {hunk.OldStart}, \"{Clip(first)}\", is not there); supported: a patch against that text");
            }

            var replacement = new List<string>();
            foreach (var (op, content) in hunk.Lines)
            {
                if (op == '-')
                {
                    changed.Add(at + replacement.Count + 1); // a deletion marks the line that now stands there
                    continue;
                }

                if (op == '+') changed.Add(at + replacement.Count + 1);
                replacement.Add(content);
            }

            text.RemoveRange(at, old.Count);
            text.InsertRange(at, replacement);
            shift += replacement.Count - old.Count;
            floor = at + replacement.Count;
            hunks++;
        }

        var others = sections.Where(s => !ReferenceEquals(s.Hunks, target[0].Hunks) && s.Hunks.Count > 0).Select(s => s.File).Distinct().ToList();
        return new Result(string.Join('\n', text), changed, others, hunks);
    }

    private static int Find(List<string> text, List<string> old, int want, int floor)
    {
        for (var delta = 0; delta <= text.Count; delta++)
        {
            foreach (var at in (ReadOnlySpan<int>)[want - delta, want + delta])
            {
                if (at < floor || at + old.Count > text.Count) continue;
                var ok = true;
                for (var j = 0; j < old.Count && ok; j++) ok = text[at + j] == old[j];
                if (ok) return at;
            }

            if (want - delta < floor && want + delta + old.Count > text.Count) break;
        }

        return -1;
    }

    private static (int OldStart, int OldCount, int NewCount) HunkHeader(string patchName, int line, string header)
    {
        // @@ -a[,b] +c[,d] @@ optional section
        var end = header.IndexOf(" @@", 3, StringComparison.Ordinal);
        var parts = end < 0 ? [] : header[3..end].Split(' ');
        if (parts.Length != 2 || parts[0].Length < 2 || parts[0][0] != '-' || parts[1].Length < 2 || parts[1][0] != '+')
            throw Error(patchName, line, $"a malformed hunk header \"{Clip(header)}\"; supported: @@ -a,b +c,d @@");
        var (oldStart, oldCount) = Range(patchName, line, parts[0][1..], header);
        var (_, newCount) = Range(patchName, line, parts[1][1..], header);
        return (oldStart, oldCount, newCount);
    }

    private static (int Start, int Count) Range(string patchName, int line, string text, string header)
    {
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        var ok = comma < 0
            ? int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var start) & (start >= 0)
            : int.TryParse(text[..comma], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out start);
        var count = 1;
        if (comma >= 0) ok &= int.TryParse(text[(comma + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count);
        if (!ok) throw Error(patchName, line, $"a malformed hunk header \"{Clip(header)}\"; supported: @@ -a,b +c,d @@");
        return (start, count);
    }

    private static string FileName(string header)
    {
        var name = header.Split('\t')[0].Trim();
        if (name.StartsWith("a/", StringComparison.Ordinal) || name.StartsWith("b/", StringComparison.Ordinal)) name = name[2..];
        return name;
    }

    private static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";

    private static KernelCException Error(string file, int line, string what) => new($"{file}:{line}:1: {what}");
}
