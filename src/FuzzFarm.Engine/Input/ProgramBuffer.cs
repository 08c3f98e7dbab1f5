using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// The engine's mutable input: up to <see cref="Capacity"/> events in a preallocated array. Mutators edit it in
/// place; <see cref="Repair(MachineConfig)"/> turns whatever they left into a valid program (fresh task labels for duplicated
/// starts, a phase event where an event needs a later phase, invalid events dropped), without allocating.
/// </summary>
public sealed class ProgramBuffer
{
    /// <summary>Most events a fuzzed program holds (the binary decoder's budget).</summary>
    public const int Capacity = BinaryDecoder.MaxEvents;

    private readonly int _capacity;
    private MachineEvent[] _events;
    private MachineEvent[] _scratch;

    /// <summary>A buffer of <see cref="Capacity"/> events (fuzzed programs), or of <paramref name="capacity"/>
    /// (the minimizer takes whole traces, up to <see cref="EventProgram.MaxEvents"/>).</summary>
    public ProgramBuffer(int capacity = Capacity)
    {
        if (capacity is < 1 or > EventProgram.MaxEvents)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"capacity must be 1..{EventProgram.MaxEvents}");
        _capacity = capacity;
        _limit = capacity;
        _events = new MachineEvent[capacity + 8];
        _scratch = new MachineEvent[capacity + 8];
    }

    public int Count { get; private set; }

    /// <summary>The most events this buffer holds (≤ its capacity); loads and repairs cut at it.</summary>
    public int Limit
    {
        get => _limit;
        set => _limit = value >= 1 && value <= _capacity ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    private int _limit;

    public Span<MachineEvent> Events => _events.AsSpan(0, Count);

    public ref MachineEvent this[int index] => ref _events[index];

    public void Load(ReadOnlySpan<MachineEvent> events)
    {
        var n = Math.Min(events.Length, _limit);
        events[..n].CopyTo(_events);
        Count = n;
    }

    public void Clear() => Count = 0;

    /// <summary>Inserts at <paramref name="index"/> (0..Count); false when full.</summary>
    public bool Insert(int index, in MachineEvent ev)
    {
        if (Count >= _limit || (uint)index > (uint)Count) return false;
        Array.Copy(_events, index, _events, index + 1, Count - index);
        _events[index] = ev;
        Count++;
        return true;
    }

    public void RemoveAt(int index) => RemoveRange(index, 1);

    public void RemoveRange(int index, int count)
    {
        count = Math.Min(count, Count - index);
        if (count <= 0) return;
        Array.Copy(_events, index + count, _events, index, Count - index - count);
        Count -= count;
    }

    /// <summary>Replaces the content with <paramref name="head"/> followed by <paramref name="tail"/> (cut to capacity).</summary>
    public void Concat(ReadOnlySpan<MachineEvent> head, ReadOnlySpan<MachineEvent> tail)
    {
        var h = Math.Min(head.Length, _limit);
        var t = Math.Min(tail.Length, _limit - h);
        head[..h].CopyTo(_scratch);
        tail[..t].CopyTo(_scratch.AsSpan(h));
        (_events, _scratch) = (_scratch, _events);
        Count = h + t;
    }

    /// <summary>
    /// Makes the buffer a valid program for <paramref name="machine"/>: labels are renumbered in order of
    /// definition (a start whose label was already defined becomes a new task; a step or run refers to the latest
    /// definition of its label); an event that needs a later phase gets that phase event first; whatever the
    /// validator still refuses is dropped. Returns the number of events dropped.
    /// </summary>
    public int Repair(MachineConfig machine) => Repair(machine, bounded: false);

    /// <summary>
    /// Most pages a set_memory_ro/rw/x/nx call of a fuzzed program covers (the binary decoder's bound): with
    /// rodata_full each backing page is a linear-alias call of its own, so a 4096-page area costs thousands of
    /// calls and teaches nothing that 32 pages do not.
    /// </summary>
    public const int MaxVmallocPages = 32;

    /// <summary>
    /// As <see cref="Repair(MachineConfig)"/>; with <paramref name="bounded"/> (the fuzz loop) vmalloc-area calls
    /// are also cut to <see cref="MaxVmallocPages"/> pages, whichever mutation produced them.
    /// </summary>
    public int Repair(MachineConfig machine, bool bounded)
    {
        Span<byte> map = stackalloc byte[MachineEvent.MaxTaskLabel + 1];
        map.Clear();
        var validator = new EventValidator(machine);
        byte next = 1;
        var w = 0;
        var dropped = 0;
        for (var r = 0; r < Count; r++)
        {
            var ev = _events[r];
            if (ev.StartsTask)
            {
                if (next == 0) { dropped++; continue; } // 255 tasks defined: no label left
                map[ev.Task] = next;
                ev = ev with { Task = next };
            }
            else if (ev.Kind is EventKind.Step or EventKind.Run)
            {
                if (map[ev.Task] == 0) { dropped++; continue; }
                ev = ev with { Task = map[ev.Task] };
            }

            if (bounded && ev.Kind == EventKind.Call && ev.Pages > MaxVmallocPages
                && ev.Op is CallOp.SetMemoryRo or CallOp.SetMemoryRw or CallOp.SetMemoryX or CallOp.SetMemoryNx)
                ev = ev with { Pages = MaxVmallocPages };

            var needs = NeedsPhase(ev, machine);
            if (needs > validator.Phase && ev.Kind != EventKind.Phase && w < _limit - 1)
            {
                var phase = MachineEvent.PhaseTo(needs);
                if (validator.TryAccept(phase)) _scratch[w++] = phase;
            }

            if (w < _limit && validator.TryAccept(ev))
            {
                _scratch[w++] = ev;
                if (ev.StartsTask) next = (byte)(next == MachineEvent.MaxTaskLabel ? 0 : next + 1);
            }
            else
            {
                if (ev.StartsTask) map[_events[r].Task] = 0;
                dropped++;
            }
        }

        (_events, _scratch) = (_scratch, _events);
        Count = w;
        return dropped;
    }

    /// <summary>The phase an event needs the boot to have reached (EarlyParam: none).</summary>
    internal static BootPhase NeedsPhase(in MachineEvent ev, MachineConfig machine) => ev.Kind switch
    {
        EventKind.CpuUp => BootPhase.SmpInit,
        EventKind.CpuDown => BootPhase.Finalize,
        EventKind.Call when ev.Op is CallOp.KfenceInitLate or CallOp.ArchAddMemory => BootPhase.Finalize,
        EventKind.Call when ev.Op == CallOp.KernelMapPages && machine.DebugPagealloc => BootPhase.MemblockFreeAll,
        EventKind.Call when ev.Cpu != 0 => BootPhase.SmpInit,
        _ => BootPhase.EarlyParam,
    };
}
