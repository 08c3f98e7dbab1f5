using System.Numerics;
using System.Runtime.InteropServices;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// SharpFuzz edge coverage, collected in process: the instrumented Model and Variants assemblies count AFL-style
/// edges into <c>SharpFuzz.Common.Trace.SharedMem</c>, which this observer points at its own bitmap before each
/// run. The bitmap is process-global, so at most one instance exists per process (<see cref="TryAcquire"/>);
/// when the running assemblies are not instrumented the map stays empty and <see cref="Instrumented"/> is false.
/// </summary>
public sealed unsafe class EdgeCoverageObserver : IObserver, IDisposable
{
    /// <summary>Bytes allocated: the whole 16-bit AFL map, so that any instrumentation writes inside it.</summary>
    public const int AllocatedSize = 1 << 16;

    private static readonly Lock _gate = new();
    private static EdgeCoverageObserver? _owner;
    private static byte* _parking;

    private readonly byte* _map;
    private readonly int _scan;
    private bool _disposed;

    private EdgeCoverageObserver(int scanSize)
    {
        _scan = scanSize;
        _map = (byte*)NativeMemory.AlignedAlloc(AllocatedSize, 64);
        NativeMemory.Clear(_map, AllocatedSize);
    }

    /// <summary>
    /// Takes the process's edge map. <paramref name="scanSize"/> is the part the instrumentation writes (FuzzFarm's
    /// instrumenter keeps location ids below 16 KiB so that a run clears and scans 16 KiB, not 64). Null when
    /// another observer holds it.
    /// </summary>
    public static EdgeCoverageObserver? TryAcquire(int scanSize = AllocatedSize)
    {
        if (scanSize <= 0 || scanSize > AllocatedSize || scanSize % 64 != 0)
            throw new ArgumentOutOfRangeException(nameof(scanSize), scanSize, "scan size must be a multiple of 64 up to 65536");
        lock (_gate)
        {
            if (_owner is not null) return null;
            _owner = new EdgeCoverageObserver(scanSize);
            return _owner;
        }
    }

    /// <summary>
    /// Points <c>Trace.SharedMem</c> at a process-lifetime scratch map unless an observer owns it. Instrumented
    /// code writes through that pointer unconditionally, so it must never be null once instrumented code can run
    /// (call this before the first instrumented call, and an observer's Dispose parks it again).
    /// </summary>
    public static void Park()
    {
        lock (_gate)
        {
            if (_owner is not null) return;
            SharpFuzz.Common.Trace.SharedMem = ParkingMap();
        }
    }

    /// <summary>The part of the map that is scanned per run.</summary>
    public ReadOnlySpan<byte> Map => new(_map, _scan);

    public int ScanSize => _scan;

    /// <summary>True once a run has written to the map (the running code is instrumented).</summary>
    public bool Instrumented { get; private set; }

    public void PreExec(Machine machine)
    {
        NativeMemory.Clear(_map, (nuint)_scan);
        SharpFuzz.Common.Trace.SharedMem = _map;
        SharpFuzz.Common.Trace.PrevLocation = 0;
    }

    public void PostExec(Machine machine)
    {
        if (!Instrumented && !Map.IndexOfAnyExcept((byte)0).Equals(-1)) Instrumented = true;
    }

    /// <summary>AFL's hit-count classes: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+ as one bit each.</summary>
    public static byte Bucket(byte count) => count switch
    {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 4,
        < 8 => 8,
        < 16 => 16,
        < 32 => 32,
        < 128 => 64,
        _ => 128,
    };

    /// <summary>Counts set bits of the bucketed map (edges × classes hit in the last run).</summary>
    public int CountClasses()
    {
        var n = 0;
        foreach (var b in Map) n += BitOperations.PopCount(Bucket(b));
        return n;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _owner = null;
            if (SharpFuzz.Common.Trace.SharedMem == _map) SharpFuzz.Common.Trace.SharedMem = ParkingMap();
            NativeMemory.AlignedFree(_map);
        }
    }

    private static byte* ParkingMap()
    {
        if (_parking is null)
        {
            _parking = (byte*)NativeMemory.AlignedAlloc(AllocatedSize, 64);
            NativeMemory.Clear(_parking, AllocatedSize);
        }

        return _parking;
    }
}
