using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;

namespace FuzzFarm.Host;

/// <summary>
/// Grain storage in files (local mode): one file per grain state under a folder, written to a temporary file and
/// renamed (<see cref="AtomicFile"/>), so a crash leaves the old state or the new one, never half of one. ETags are
/// write counters. A state file that cannot be read is moved aside as <c>*.corrupt</c> and logged with its path;
/// that grain starts from an empty state and the silo goes on.
/// </summary>
public sealed class FileGrainStorage(string directory, IGrainStorageSerializer serializer, ILogger? logger = null) : IGrainStorage
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        if (!File.Exists(path))
        {
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }

        var bytes = File.ReadAllBytes(path);
        try
        {
            if (bytes.Length < 4) throw new FormatException($"{bytes.Length} bytes, shorter than a header");
            var etagLength = BitConverter.ToInt32(bytes, 0);
            if (etagLength < 0 || etagLength > bytes.Length - 4) throw new FormatException("bad header");
            var etag = System.Text.Encoding.UTF8.GetString(bytes, 4, etagLength);
            grainState.State = serializer.Deserialize<T>(new BinaryData(bytes.AsMemory(4 + etagLength)));
            grainState.ETag = etag;
            grainState.RecordExists = true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var aside = MoveAside(path);
            _logger.LogError("damaged state file {Path} ({Cause}): moved to {Aside}; grain {Grain} starts from an empty state",
                path, e.Message, aside, grainId);
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    private static string MoveAside(string path)
    {
        var aside = path + ".corrupt";
        for (var i = 1; File.Exists(aside); i++) aside = $"{path}.{i}.corrupt";
        File.Move(path, aside);
        return aside;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var etag = (long.TryParse(grainState.ETag, out var n) ? n + 1 : 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var data = serializer.Serialize(grainState.State).ToMemory();
        var etagBytes = System.Text.Encoding.UTF8.GetBytes(etag);
        var bytes = new byte[4 + etagBytes.Length + data.Length];
        BitConverter.GetBytes(etagBytes.Length).CopyTo(bytes, 0);
        etagBytes.CopyTo(bytes, 4);
        data.Span.CopyTo(bytes.AsSpan(4 + etagBytes.Length));
        AtomicFile.Write(path, bytes);
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
