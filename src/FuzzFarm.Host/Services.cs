using System.Text.Json;
using FuzzFarm.Farm;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Host;

/// <summary>The shipped variant catalog, for the farm.</summary>
public sealed class CatalogVariantResolver : IVariantResolver
{
    public IReadOnlyList<SplitVariant> All => VariantCatalog.All;

    public bool TryGet(string id, out SplitVariant variant) => VariantCatalog.TryGet(id, out variant);
}

/// <summary>
/// Local mode: every acknowledged finding also becomes <c>KEY.trace</c> (replayable with <c>fuzzfarm replay</c>) and
/// <c>KEY.json</c> under the data directory's <c>findings/</c>, usable without FuzzFarm running.
/// </summary>
public sealed class FileFindingSink(string directory) : IFindingSink
{
    public string Directory { get; } = directory;

    public async Task Write(FindingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        System.IO.Directory.CreateDirectory(Directory);
        var key = FindingFile.Name(record.SignatureKey);
        await WriteAtomically(Path.Combine(Directory, key + ".trace"), record.SmallestTrace);
        var json = JsonSerializer.Serialize(new
        {
            key = record.SignatureKey,
            title = record.Title,
            variant = record.Variant,
            invariant = record.Invariant,
            where = record.Where,
            detail = record.Detail,
            env = record.Env,
            assumptions = record.Assumptions,
            events = record.SmallestEvents,
            first_seen = record.FirstSeen,
            last_seen = record.LastSeen,
            hits = record.Hits,
            machines = record.Machines,
            variants = record.Variants,
            first_report = record.FirstReport,
        }, new JsonSerializerOptions { WriteIndented = true });
        await WriteAtomically(Path.Combine(Directory, key + ".json"), json + "\n");
    }

    private static async Task WriteAtomically(string path, string text)
    {
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>Appends one line per durable report (machine, sequence, signature) to a file: the kill test's record.</summary>
public sealed class FileReportJournal(string path) : IReportJournal
{
    private readonly Lock _gate = new();

    public void Reported(FindingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate) File.AppendAllText(path, $"{report.MachineKey}\t{report.Sequence}\t{report.SignatureKey}\n");
    }
}
