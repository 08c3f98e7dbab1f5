using System.Collections.Concurrent;
using System.Text.Json;
using FuzzFarm.Farm;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Host;

/// <summary>
/// Local mode: every acknowledged finding also becomes <c>KEY.trace</c> (replayable with <c>fuzzfarm replay</c>) and
/// <c>KEY.json</c> under the data directory's <c>findings/</c>, usable without FuzzFarm running. Files are written
/// atomically (<see cref="AtomicFile"/>), the trace first: a <c>KEY.json</c> is never without its trace.
/// <see cref="WriteMissing"/> writes what a crash or a failed write left out, checking the disk once per record
/// and then remembering what it wrote.
/// </summary>
public sealed class FileFindingSink(string directory) : IFindingSink
{
    private readonly ConcurrentDictionary<string, string> _written = new(StringComparer.Ordinal);

    public string Directory { get; } = directory;

    public Task Write(FindingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        System.IO.Directory.CreateDirectory(Directory);
        var key = FindingFile.Name(record.SignatureKey);
        AtomicFile.Write(Path.Combine(Directory, key + ".trace"), record.SmallestTrace);
        AtomicFile.Write(Path.Combine(Directory, key + ".json"), Json(record) + "\n");
        _written[record.SignatureKey] = record.SmallestTrace;
        return Task.CompletedTask;
    }

    public async Task<int> WriteMissing(IEnumerable<FindingRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var n = 0;
        foreach (var r in records)
        {
            if (_written.TryGetValue(r.SignatureKey, out var trace) && trace == r.SmallestTrace) continue;
            if (OnDisk(r))
            {
                _written[r.SignatureKey] = r.SmallestTrace;
                continue;
            }

            await Write(r);
            n++;
        }

        return n;
    }

    /// <summary>Both files there, not empty, the trace the record's reproducer, the JSON naming its key.</summary>
    private bool OnDisk(FindingRecord r)
    {
        var stem = Path.Combine(Directory, FindingFile.Name(r.SignatureKey));
        try
        {
            if (!File.Exists(stem + ".trace") || !File.Exists(stem + ".json")) return false;
            if (File.ReadAllText(stem + ".trace") != r.SmallestTrace) return false;
            using var doc = JsonDocument.Parse(File.ReadAllText(stem + ".json"));
            return doc.RootElement.TryGetProperty("key", out var key) && key.GetString() == r.SignatureKey;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string Json(FindingRecord record) => JsonSerializer.Serialize(new
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
        reproduces = record.Reproduces,
        callers = record.Callers,
        version_assumptions = record.VersionAssumptions,
        fragmentation = FragmentationOf(record),
    }, Options);

    /// <summary>The fragmentation of the smallest trace on the finding's version (§9), or null when it does not replay.</summary>
    private static object? FragmentationOf(FindingRecord record)
    {
        try
        {
            var program = TraceParser.Parse(record.SmallestTrace, record.SignatureKey + ".trace");
            var id = record.Variant.Length > 0 ? record.Variant : program.Variant ?? "";
            if (!VariantCatalog.TryGet(id, out var variant)) return null;
            var f = BoundedReplay.Run(program, variant, program.Env ?? EnvMode.Adversarial, timelineLimit: 0).Replay.Fragmentation;
            return new
            {
                leaves_created = new Dictionary<string, long>(StringComparer.Ordinal)
                {
                    ["pmd"] = f.PmdLeaves,
                    ["cont-pmd"] = f.ContPmdLeaves,
                    ["pte"] = f.PteLeaves,
                    ["cont-pte"] = f.ContPteLeaves,
                },
                table_pages = f.TablePages,
                cont_groups_broken = f.ContGroupsBroken,
                block_bytes_lost = f.BlockBytesLost,
            };
        }
        catch (TraceFormatException)
        {
            return null;
        }
    }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };
}
