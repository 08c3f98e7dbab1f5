using Orleans.Storage;

namespace FuzzFarm.Host;

/// <summary>
/// Grain storage in files (local mode): one file per grain state under a folder, written to a temporary file and
/// renamed, so a crash leaves the old state or the new one, never half of one. ETags are write counters.
/// </summary>
public sealed class FileGrainStorage(string directory, IGrainStorageSerializer serializer) : IGrainStorage
{
    private readonly Lock _gate = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        if (!File.Exists(path))
        {
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }

        var bytes = File.ReadAllBytes(path);
        var etagLength = BitConverter.ToInt32(bytes, 0);
        grainState.ETag = System.Text.Encoding.UTF8.GetString(bytes, 4, etagLength);
        grainState.State = serializer.Deserialize<T>(new BinaryData(bytes.AsMemory(4 + etagLength)));
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var etag = (long.TryParse(grainState.ETag, out var n) ? n + 1 : 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var data = serializer.Serialize(grainState.State).ToMemory();
        var etagBytes = System.Text.Encoding.UTF8.GetBytes(etag);
        var tmp = path + $".tmp{Environment.CurrentManagedThreadId}";
        using (var f = File.Create(tmp))
        {
            f.Write(BitConverter.GetBytes(etagBytes.Length));
            f.Write(etagBytes);
            f.Write(data.Span);
            f.Flush(flushToDisk: true);
        }

        lock (_gate) File.Move(tmp, path, overwrite: true);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        File.Delete(PathOf(stateName, grainId));
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private string PathOf(string stateName, GrainId grainId)
    {
        Directory.CreateDirectory(directory);
        var name = $"{stateName}-{grainId}";
        var safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        // Keep names unique even when two ids differ only in replaced characters.
        var hash = 14695981039346656037UL;
        foreach (var c in name) hash = (hash ^ c) * 1099511628211UL;
        return Path.Combine(directory, $"{safe}-{hash:x16}.state");
    }
}
