using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FuzzFarm.Tests.Farm;

/// <summary>A command's exit code and output (a <c>fuzzfarm campaign …</c> client run).</summary>
internal sealed record CommandResult(int Code, string Out, string Err)
{
    public override string ToString() => $"exit {Code}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>
/// A long-running child process (redis-server, a silo) whose stdout and stderr are appended to a log file;
/// <see cref="Dispose"/> kills it with its process tree.
/// </summary>
internal sealed class HarnessProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private readonly StringBuilder _output = new();
    private bool _closed;

    private HarnessProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string LogPath { get; private init; } = "";

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="args"/>, appending its output to <paramref name="logPath"/>.</summary>
    public static HarnessProcess Start(string fileName, IReadOnlyList<string> args, string logPath)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(logPath)!,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"==== {DateTimeOffset.UtcNow:HH:mm:ss.fff} start: {fileName} {string.Join(' ', args)}");
        var process = new Process { StartInfo = info };
        var child = new HarnessProcess(process, log) { LogPath = logPath };
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            _output.AppendLine(line);
            if (!_closed) _log.WriteLine(line);
        }
    }

    /// <summary>Output of this process (not of earlier runs appended to the same log).</summary>
    public string Output
    {
        get
        {
            lock (_gate) return _output.ToString();
        }
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; false if the process exits or the time runs out first.</summary>
    public async Task<bool> WaitForOutput(string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal)) return true;
            if (_process.HasExited) return Output.Contains(text, StringComparison.Ordinal);
            await Task.Delay(100, cancellationToken);
        }

        return false;
    }

    public async Task<bool> WaitForExit(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>SIGKILL to the process and its children.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    public void Dispose()
    {
        Kill();
        lock (_gate)
        {
            if (!_closed) _log.WriteLine($"==== {DateTimeOffset.UtcNow:HH:mm:ss.fff} gone (exit {(_process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")})");
            _closed = true;
            _log.Dispose();
        }

        _process.Dispose();
    }
}

/// <summary>Ports, Redis over a socket, and one-shot commands for the real-cluster test.</summary>
internal static class ProcessHarness
{
    /// <summary>The dotnet host that runs the tests (the SDK sets DOTNET_HOST_PATH), else dotnet from PATH.</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p : "dotnet";

    /// <summary>The CLI next to the test assembly (the test project references FuzzFarm.Cli).</summary>
    public static string FuzzFarmDll => Path.Combine(AppContext.BaseDirectory, "fuzzfarm.dll");

    /// <summary><paramref name="count"/> distinct loopback ports that were free a moment ago.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                listeners.Add(l);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }

    /// <summary>Sends one inline Redis command and returns the first reply line (null when Redis does not answer).</summary>
    public static async Task<string?> Redis(int port, string command, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, limit.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), limit.Token);
            var buffer = new byte[256];
            var n = await stream.ReadAsync(buffer, limit.Token);
            return n == 0 ? "" : Encoding.ASCII.GetString(buffer, 0, n).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>Waits until Redis answers PING with PONG (not LOADING).</summary>
    public static async Task<bool> WaitForRedis(int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await Redis(port, "PING", cancellationToken) == "+PONG") return true;
            await Task.Delay(100, cancellationToken);
        }

        return false;
    }

    /// <summary>The last <paramref name="count"/> lines of a log a process may still be appending to (long lines cut).</summary>
    public static string Tail(string path, int count)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n');
            return string.Join('\n', lines.TakeLast(count).Select(l => l.Length > 400 ? l[..400] + "…" : l));
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    /// <summary>Runs a command to its end (killed with its tree after <paramref name="timeout"/>, exit code -1).</summary>
    public static async Task<CommandResult> Run(
        string fileName, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var code = -1;
        try
        {
            await process.WaitForExitAsync(limit.Token);
            code = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }

            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return new CommandResult(code, await stdout, await stderr);
    }
}
