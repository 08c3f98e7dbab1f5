using System.Numerics;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Model-state coverage: while a program runs, every primitive, task return, phase and violation becomes a
/// feature hashed from (what happened × boot phase × CPU states × lock/context state), e.g. "split_pmd with
/// cpu_hotplug_lock held for read while a CPU is MMU-on but not online" or "the trylock guard returned -EBUSY".
/// Deterministic (no instrumentation involved) and per instance, so any number of sessions may run side by
/// side. Features are kept as a set of touched indices, so the per-run cost is proportional to what happened.
/// </summary>
public sealed class ModelStateObserver : IObserver, IKernelObserver
{
    /// <summary>Size of the feature map (a power of two).</summary>
    public const int MapSize = 1 << 16;

    private readonly byte[] _map = new byte[MapSize];
    private readonly int[] _touched = new int[4096];
    private Kernel? _kernel;
    private int _count;

    /// <summary>Features hit by the last run.</summary>
    public ReadOnlySpan<int> Touched => _touched.AsSpan(0, _count);

    public void PreExec(Machine machine)
    {
        foreach (var i in Touched) _map[i] = 0;
        _count = 0;
        _kernel = machine.Kernel;
        _kernel.Observer = this;
    }

    public void PostExec(Machine machine)
    {
        machine.Kernel.Observer = null;
        _kernel = null;
    }

    private void Hit(ulong feature)
    {
        var i = (int)(Prng.Mix(feature) & (MapSize - 1));
        if (_map[i] != 0) return;
        _map[i] = 1;
        if (_count < _touched.Length) _touched[_count++] = i;
    }

    /// <summary>CPU states in a few bits: someone translating without BBML2 hardware; MMU-on but not online; online count.</summary>
    private ulong CpuClass()
    {
        var k = _kernel!;
        ulong c = 0;
        if ((k.TranslatingCpus & ~k.HardwareBbml2Cpus) != 0) c |= 1;
        if ((k.MmuOnMask & ~k.OnlineMask) != 0) c |= 2;
        c |= (ulong)Math.Min(BitOperations.PopCount(k.OnlineMask), 3) << 2;
        return c;
    }

    private static ulong Clamp(long value) => value switch
    {
        0 => 0,
        < 0 => 1 + (ulong)Math.Min(-value, 64), // errnos stay apart
        < 16 => 100 + (ulong)value,
        _ => 200,
    };

    void IKernelObserver.OnPrimitive(int eventIndex, byte task, byte cpu, Point point, long value)
    {
        var k = _kernel!;
        Hit(1UL | ((ulong)point << 8) | (Clamp(value) << 16) | ((ulong)k.Phase << 32) | (CpuClass() << 40)
            | ((ulong)k.Locks << 48) | ((ulong)k.CurrentContext << 56));
    }

    void IKernelObserver.OnTaskDone(int eventIndex, byte task, byte cpu, int result) =>
        Hit(2UL | ((ulong)(byte)_kernel!.DoneTaskLastPoint << 8) | (Clamp(result) << 16) | ((ulong)_kernel.Phase << 32));

    void IKernelObserver.OnViolation(in Violation violation) =>
        Hit(3UL | ((ulong)violation.Invariant << 8) | ((ulong)violation.Where << 16) | ((ulong)violation.Assumptions << 24));

    void IKernelObserver.OnPhase(int eventIndex, BootPhase phase) => Hit(4UL | ((ulong)phase << 8) | (CpuClass() << 16));

    void IKernelObserver.OnEvent(int index, in MachineEvent e)
    {
    }

    void IKernelObserver.OnNote(int eventIndex, byte cpu, string text)
    {
    }

    void IKernelObserver.OnDrain(int eventIndex) => Hit(5UL | (CpuClass() << 8) | ((ulong)_kernel!.Locks << 16));
}
