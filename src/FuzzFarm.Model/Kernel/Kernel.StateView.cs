namespace FuzzFarm.Model;

/// <summary>Which locks are held or awaited, as bits (model-state coverage reads it).</summary>
[Flags]
public enum LockBits : byte
{
    None = 0,
    SplitMutex = 1,
    HotplugRead = 2,
    HotplugWrite = 4,
    HotplugWriterPending = 8,
    CurrentHoldsSplitMutex = 16,
    CurrentHoldsHotplugRead = 32,
}

/// <summary>A task still in flight at the end of a prefix, as the explorer sees it.</summary>
public readonly record struct ActiveTask(byte Label, TaskKind Kind, byte Cpu, bool Blocked);

/// <summary>
/// Views of the whole machine state for the engine: a hash that identifies states equal for every future (the
/// explorer's visited set), the lock bits and the tasks in flight. Plain reads; nothing here changes the run.
/// </summary>
public sealed partial class Kernel
{
    /// <summary>Lock state right now, including what the current task holds.</summary>
    public LockBits Locks
    {
        get
        {
            var bits = LockBits.None;
            if (_mutexOwner >= 0) bits |= LockBits.SplitMutex;
            if (_hotplugReaders != 0) bits |= LockBits.HotplugRead;
            if (_hotplugWriter >= 0) bits |= LockBits.HotplugWrite;
            if (_pendingWriters != 0) bits |= LockBits.HotplugWriterPending;
            if (_cur is not null)
            {
                if (_mutexOwner == _cur.Index) bits |= LockBits.CurrentHoldsSplitMutex;
                if ((_hotplugReaders & _cur.Bit) != 0) bits |= LockBits.CurrentHoldsHotplugRead;
            }

            return bits;
        }
    }

    /// <summary>CPUs whose MMU is on and whose TTBR1 points at the live linear map.</summary>
    public ulong TranslatingCpus => _mmuOn & ~_ttbr1Reserved;

    /// <summary>CPUs whose hardware really has BBML2_NOABORT (what the kernel detected may differ).</summary>
    public ulong HardwareBbml2Cpus => _hardwareMask;

    /// <summary>The label of the task whose body is executing (0 outside tasks).</summary>
    public byte CurrentLabel => _cur?.Label ?? 0;

    /// <summary>Writes the tasks in flight, oldest first, into <paramref name="into"/>; returns how many.</summary>
    public int ActiveTasks(Span<ActiveTask> into)
    {
        var n = 0;
        var last = long.MinValue;
        while (n < into.Length && NextActiveAfter(last) is { } next)
        {
            last = next.StartSeq;
            into[n++] = new ActiveTask(next.Label, next.Kind, next.Cpu, next.State == TaskState.Blocked);
        }

        return n;
    }

    /// <summary>The task in flight that started first after start number <paramref name="last"/>, or null.</summary>
    private TaskSlot? NextActiveAfter(long last)
    {
        TaskSlot? next = null;
        foreach (var t in Slots)
        {
            if (t.IsActive && t.StartSeq > last && (next is null || t.StartSeq < next.StartSeq)) next = t;
        }

        return next;
    }

    /// <summary>
    /// A 64-bit hash of everything that decides how the machine goes on: boot and feature state, CPU masks, the
    /// linear map, the environment assumptions so far, and the tasks in flight (oldest first, with their
    /// arguments and primitive logs) with the locks expressed relative to them. Task labels, counters and the
    /// violations already recorded are left out: they do not change what can happen next. Equal hashes are
    /// treated as equal states by the explorer (a 64-bit collision is the only way it can merge two states).
    /// </summary>
    public ulong StateHash()
    {
        var h = new StateHasher(0x46757a7a4661726dUL);
        h.Add((ulong)_phase);
        h.Add(PackFlags());
        h.Add(_online);
        h.Add(_mmuOn);
        h.Add(_ttbr1Reserved);
        h.Add(_attempted);
        h.Add((ulong)_assumptions);
        h.Add((ulong)_map.Count);
        foreach (ref readonly var r in _map.Runs)
        {
            h.Add(r.Start);
            h.Add(r.End);
            h.Add((ulong)r.Level | ((r.Cont ? 1UL : 0) << 8) | ((ulong)r.Attrs << 16));
        }

        // Tasks in flight in start order; locks by rank in that order.
        Span<int> rank = stackalloc int[MaxTasks];
        rank.Fill(-1);
        var n = 0;
        var last = long.MinValue;
        while (NextActiveAfter(last) is { } next)
        {
            last = next.StartSeq;
            rank[next.Index] = n++;
            h.Add((ulong)next.Kind | ((ulong)next.State << 8) | ((ulong)next.Cpu << 16) | ((ulong)next.Context << 24)
                | ((ulong)next.Op << 32) | ((ulong)next.BlockedOn << 40) | ((next.Enable ? 1UL : 0) << 48)
                | ((next.BootTime ? 1UL : 0) << 49));
            h.Add(next.Page | ((ulong)next.Pages << 32) | ((ulong)next.StartWindow << 48));
            h.Add((uint)next.LogCount | ((ulong)next.LastGuard << 32));
            for (var i = 0; i < next.LogCount; i++) h.Add((ulong)next.Log[i]);
        }

        h.Add((ulong)(_mutexOwner < 0 ? _mutexOwner : rank[_mutexOwner]));
        h.Add((ulong)(_hotplugWriter < 0 ? _hotplugWriter : rank[_hotplugWriter]));
        h.Add((uint)_leakedReaders | (_hung ? 1UL << 32 : 0) | ((ulong)_callersUsed << 33));
        h.Add(RankMask(_hotplugReaders, rank));
        h.Add(RankMask(_pendingWriters, rank));
        return h.Value;
    }

    private static ulong RankMask(ulong slots, ReadOnlySpan<int> rank)
    {
        ulong m = 0;
        while (slots != 0)
        {
            var i = LowestBit(slots);
            slots &= slots - 1;
            if (rank[i] >= 0) m |= 1UL << rank[i];
        }

        return m;
    }

    private struct StateHasher(ulong seed)
    {
        public ulong Value { get; private set; } = seed;

        public void Add(ulong x) => Value = Prng.Mix(Value ^ (x + 0x9e3779b97f4a7c15UL + (Value << 6) + (Value >> 2)));
    }
}
