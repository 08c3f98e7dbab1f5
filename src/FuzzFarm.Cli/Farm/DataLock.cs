using System.Globalization;
using FuzzFarm.Host;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// The exclusive hold of a local data folder by one process (<c>run</c>, local <c>silo</c>): an advisory lock on
/// <c>DATA/.lock</c> with the holder's pid in <c>DATA/.lock.pid</c>. A second process is told who holds it. Holding
/// the folder alone, the holder removes the temporary files a killed writer left in <c>state/</c> and <c>findings/</c>.
/// </summary>
internal sealed class DataLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _pidFile;

    private DataLock(FileStream held, string pidFile)
    {
        _lock = held;
        _pidFile = pidFile;
    }

    /// <summary>Number of stale temporary files removed when the lock was taken.</summary>
    public int StaleTemporaryFiles { get; private init; }

    /// <exception cref="UsageException">The folder cannot be made or written, or another process holds it.</exception>
    public static DataLock Take(string data, string? findings)
    {
        var lockPath = Path.Combine(data, ".lock");
        var pidPath = Path.Combine(data, ".lock.pid");
        FileStream held;
        try
        {
            Directory.CreateDirectory(data);
            held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e.GetType() == typeof(IOException) && File.Exists(lockPath))
        {
            var holder = File.Exists(pidPath) ? File.ReadAllText(pidPath).Trim() : "";
            throw new UsageException($"--data {data}: in use by another fuzzfarm process{(holder.Length > 0 ? $" (pid {holder})" : "")}; stop it or pick another folder");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--data {data}: {FileErrors.Cause(e)}");
        }

        try
        {
            AtomicFile.Write(pidPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            var stale = AtomicFile.RemoveTemporaryFiles(Path.Combine(data, "state")) + AtomicFile.RemoveTemporaryFiles(findings ?? Path.Combine(data, "findings"));
            return new DataLock(held, pidPath) { StaleTemporaryFiles = stale };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held.Dispose();
            throw new UsageException($"--data {data}: {FileErrors.Cause(e)}");
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_pidFile);
        }
        catch (IOException)
        {
            // Gone already.
        }

        _lock.Dispose();
    }
}
