using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Replay;

/// <summary>Reads trace files and resolves variant selections, turning every problem into a clear message.</summary>
internal static class TraceLoader
{
    public static EventProgram Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"{path}: cannot read the trace: {FuzzFarm.Host.FileErrors.Cause(e)}");
        }

        var program = TraceParser.Parse(text, path);
        foreach (var warning in program.Warnings) Console.Error.WriteLine(warning);
        var error = program.Validate();
        if (error is not null) throw new UsageException($"{path}: {error}");
        if (program.Variant is { } id && !VariantCatalog.TryGet(id, out _))
        {
            // The trace's own line, not the --variant option, is what is wrong.
            var line = Array.FindIndex(text.Split('\n'), l => l.TrimStart().StartsWith("variant", StringComparison.Ordinal)) + 1;
            throw new UsageException($"{path}:{Math.Max(line, 1)}: variant: unknown variant '{id}' (known: {string.Join(", ", VariantCatalog.Ids)})");
        }

        return program;
    }

    public static IReadOnlyList<SplitVariant> SelectVariants(string selection)
    {
        if (selection == "all") return VariantCatalog.All;
        var chosen = new List<SplitVariant>();
        foreach (var id in selection.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!VariantCatalog.TryGet(id, out var v))
                throw new UsageException($"--variant: unknown variant '{id}' (known: {string.Join(", ", VariantCatalog.Ids)}, all)");
            chosen.Add(v);
        }

        if (chosen.Count == 0) throw new UsageException("--variant: no variant given");
        return chosen;
    }
}
