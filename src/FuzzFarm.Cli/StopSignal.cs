using System.Runtime.InteropServices;

namespace FuzzFarm.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (kill, docker stop, systemd) for long commands, handled alike: the first asks the
/// command to stop (it finishes its slice, delivers, flushes and prints its summary); a second one, or a command
/// still running <see cref="Grace"/> after the first, exits at once with 128 + the signal's number.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    /// <summary>How long a command may take to stop after the first signal.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>A signal this soon after the first is the same stop delivered twice, not a second request.</summary>
    private static readonly TimeSpan Echo = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly TextWriter _stderr;
    private readonly string _what;
    private int _signals;
    private long _firstAt;
    private Timer? _deadline;

    private StopSignal(TextWriter stderr, string what)
    {
        _stderr = stderr;
        _what = what;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // SIGTERM has no meaning on Windows; SIGINT still works there.
            }
        }
    }

    /// <summary>Starts listening; <paramref name="what"/> names what the first signal does ("finishing the slice…").</summary>
    public static StopSignal Listen(TextWriter stderr, string what) => new(stderr, what);

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    public bool Requested => _stop.IsCancellationRequested;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
        var code = 128 + (context.Signal == PosixSignal.SIGTERM ? 15 : 2);
        Interlocked.CompareExchange(ref _firstAt, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
        if (Interlocked.Increment(ref _signals) > 1)
        {
            // `timeout` sends its SIGTERM to the command and to its process group: the same stop, twice at once.
            if (System.Diagnostics.Stopwatch.GetElapsedTime(Interlocked.Read(ref _firstAt)) < Echo) return;
            Exit($"fuzzfarm: second signal ({name}): stopping at once", code);
            return;
        }

        Say($"fuzzfarm: {name}: {_what} (a second signal stops at once)");
        _deadline = new Timer(_ => Exit($"fuzzfarm: not stopped {Grace.TotalSeconds:F0} s after {name}: stopping at once", code), null, Grace, Timeout.InfiniteTimeSpan);
        _stop.Cancel();
    }

    private void Say(string line)
    {
        try
        {
            _stderr.WriteLine(line);
            _stderr.Flush();
        }
        catch (IOException)
        {
            // stderr closed: nothing to tell.
        }
    }

    private void Exit(string line, int code)
    {
        Say(line);
        Console.Out.Flush();
        Environment.Exit(code);
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _deadline?.Dispose();
        _stop.Dispose();
    }
}
