using System.Runtime.InteropServices;
using System.Text;

namespace FuzzFarm.Host;

/// <summary>
/// Files written so that a crash leaves the old content or the new one, never a part or an empty file: a
/// temporary file beside the target, flushed to disk, renamed over it, then the folder flushed (the rename itself
/// is durable). A failed write removes its temporary file.
/// </summary>
public static class AtomicFile
{
    /// <summary>The suffix of temporary files (a folder's stale ones are removed at startup).</summary>
    public const string TemporarySuffix = ".tmp";

    public static void Write(string path, string text) => Write(path, Encoding.UTF8.GetBytes(text));

    /// <exception cref="IOException">The file cannot be written (full, read-only, not a folder…).</exception>
    /// <exception cref="UnauthorizedAccessException">No permission.</exception>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        var tmp = $"{path}{TemporarySuffix}{Environment.CurrentManagedThreadId}";
        try
        {
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }

        SyncFolder(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Removes <c>*.tmp*</c> files a killed writer left in <paramref name="folder"/>; returns how many.</summary>
    public static int RemoveTemporaryFiles(string folder)
    {
        if (!Directory.Exists(folder)) return 0;
        var n = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*" + TemporarySuffix + "*"))
        {
            if (TryDelete(file)) n++;
        }

        return n;
    }

    /// <summary>fsync of a folder, so that renames and new names in it survive a power cut (Linux; a no-op elsewhere).</summary>
    public static void SyncFolder(string folder)
    {
        if (!OperatingSystem.IsLinux()) return;
        var name = Encoding.UTF8.GetBytes(folder + "\0");
        var fd = NativeMethods.open(name, 0 /* O_RDONLY */);
        if (fd < 0) return;
        _ = NativeMethods.fsync(fd);
        _ = NativeMethods.close(fd);
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int open(byte[] path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int close(int fd);
    }
}

/// <summary>A filesystem error in one line: the cause without .NET's wording of the path.</summary>
public static class FileErrors
{
    public static string Cause(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var m = e.Message;
        if (e is UnauthorizedAccessException) return m.Contains("read-only", StringComparison.OrdinalIgnoreCase) ? "read-only file system" : "permission denied";
        if (e is DirectoryNotFoundException) return "no such folder";
        if (e is FileNotFoundException) return "no such file";
        if (e is PathTooLongException) return "path too long";
        if (m.Contains("already exists", StringComparison.OrdinalIgnoreCase)) return "a file is in the way of a folder";
        // .NET on Unix: "<strerror> : '<path>'" or "… '<path>' …".
        var cut = m.IndexOf(" : '", StringComparison.Ordinal);
        if (cut > 0) m = m[..cut];
        m = System.Text.RegularExpressions.Regex.Replace(m, @"\s*'[^']*'", "");
        return m.TrimEnd('.', ' ').Length > 0 ? m.TrimEnd('.', ' ') : "cannot be written";
    }
}
