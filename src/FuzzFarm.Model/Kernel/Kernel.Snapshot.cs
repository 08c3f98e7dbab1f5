namespace FuzzFarm.Model;

/// <summary>
/// A saved machine state between two events (everything <see cref="Kernel.Reset"/> restores, at a later point):
/// the explorer saves the state a prefix left once and restores it for each next event instead of replaying
/// the prefix. Preallocated and reusable: saving into the same snapshot again allocates nothing.
/// </summary>
public sealed class KernelSnapshot
{
    internal readonly LinearMap Map;
    internal readonly Violation[] Violations = new Violation[Kernel.MaxViolations];
    internal readonly TaskSlot[] Tasks = new TaskSlot[Kernel.MaxTasks];
    internal readonly int[] LabelSlot = new int[MachineEvent.MaxTaskLabel + 1];
    internal Kernel? Owner;

    // Scalars, in Kernel's field order.
    internal BootPhase Phase;
    internal ulong Flags;
    internal ulong Online;
    internal ulong MmuOn;
    internal ulong Ttbr1Reserved;
    internal ulong Attempted;
    internal long TablePages;
    internal long LiveResizes;
    internal FragmentationCounters Frag;
    internal int ViolationCount;
    internal Assumptions Assumptions;
    internal int EventIndex;
    internal int Skipped;
    internal long StartSeq;
    internal int LabelHigh;
    internal ulong UsedSlots;
    internal int SlotCount;
    internal int InflightCalls;
    internal int InflightBootBringups;
    internal int MutexOwner;
    internal int HotplugWriter;
    internal ulong HotplugReaders;
    internal ulong PendingWriters;
    internal int LeakedReaders;
    internal Point WritePoint;
    internal uint CallersUsed;

    public KernelSnapshot()
        : this(compact: false)
    {
    }

    /// <param name="compact">
    /// Start small and grow on first use (a few KiB instead of ~150 KiB): for caches holding many snapshots,
    /// such as the fuzz loop's prefix snapshots. Saving into a snapshot again allocates nothing either way.
    /// </param>
    public KernelSnapshot(bool compact)
    {
        Map = compact ? new LinearMap(16) : new LinearMap();
        for (var i = 0; i < Tasks.Length; i++)
        {
            Tasks[i] = new TaskSlot(i);
            if (compact) Tasks[i].Log = [];
        }
    }

    /// <summary>Bytes this snapshot holds (its arrays; an estimate for reports).</summary>
    public long BytesHeld
    {
        get
        {
            long bytes = (long)Map.Capacity * 24 + Violations.Length * 48L + LabelSlot.Length * 4L;
            foreach (var t in Tasks) bytes += 96 + t.Log.Length * 8L;
            return bytes;
        }
    }
}

public sealed partial class Kernel
{
    /// <summary>Saves the state between events into <paramref name="snapshot"/>.</summary>
    public void Save(KernelSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (_cur is not null) throw new InvalidOperationException("a snapshot is taken between events, not inside a task");
        snapshot.Owner = this;
        snapshot.Phase = _phase;
        snapshot.Flags = PackFlags();
        snapshot.Online = _online;
        snapshot.MmuOn = _mmuOn;
        snapshot.Ttbr1Reserved = _ttbr1Reserved;
        snapshot.Attempted = _attempted;
        snapshot.TablePages = _tablePages;
        snapshot.LiveResizes = _liveResizes;
        snapshot.Frag = _frag;
        snapshot.Map.CopyFrom(_map);
        Array.Copy(_violations, snapshot.Violations, _violationCount);
        snapshot.ViolationCount = _violationCount;
        snapshot.Assumptions = _assumptions;
        snapshot.EventIndex = _eventIndex;
        snapshot.Skipped = _skipped;
        var used = UsedSlots();
        for (var bits = used; bits != 0; bits &= bits - 1) CopyTask(_tasks[LowestBit(bits)], snapshot.Tasks[LowestBit(bits)]);
        snapshot.UsedSlots = used;
        snapshot.SlotCount = _slotCount;
        Array.Copy(_labelSlot, snapshot.LabelSlot, _labelHigh + 1);
        snapshot.LabelHigh = _labelHigh;
        snapshot.StartSeq = _startSeq;
        snapshot.InflightCalls = _inflightCalls;
        snapshot.InflightBootBringups = _inflightBootBringups;
        snapshot.MutexOwner = _mutexOwner;
        snapshot.HotplugWriter = _hotplugWriter;
        snapshot.HotplugReaders = _hotplugReaders;
        snapshot.PendingWriters = _pendingWriters;
        snapshot.LeakedReaders = _leakedReaders;
        snapshot.WritePoint = _writePoint;
        snapshot.CallersUsed = _callersUsed;
    }

    /// <summary>Restores a state saved from this kernel; the run continues from there.</summary>
    public void Restore(KernelSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!ReferenceEquals(snapshot.Owner, this)) throw new ArgumentException("the snapshot was saved from another kernel", nameof(snapshot));
        _phase = snapshot.Phase;
        UnpackFlags(snapshot.Flags);
        _online = snapshot.Online;
        _mmuOn = snapshot.MmuOn;
        _ttbr1Reserved = snapshot.Ttbr1Reserved;
        _attempted = snapshot.Attempted;
        _tablePages = snapshot.TablePages;
        _liveResizes = snapshot.LiveResizes;
        _frag = snapshot.Frag;
        _map.CopyFrom(snapshot.Map);
        Array.Copy(snapshot.Violations, _violations, snapshot.ViolationCount);
        _violationCount = snapshot.ViolationCount;
        _assumptions = snapshot.Assumptions;
        _eventIndex = snapshot.EventIndex;
        _skipped = snapshot.Skipped;
        // Only slots in use on either side need work: the saved ones are copied back, the others freed.
        for (var bits = UsedSlots() & ~snapshot.UsedSlots; bits != 0; bits &= bits - 1) _tasks[LowestBit(bits)].State = TaskState.Free;
        for (var bits = snapshot.UsedSlots; bits != 0; bits &= bits - 1) CopyTask(snapshot.Tasks[LowestBit(bits)], _tasks[LowestBit(bits)]);
        if (_labelHigh > snapshot.LabelHigh) Array.Fill(_labelSlot, LabelFree, snapshot.LabelHigh + 1, _labelHigh - snapshot.LabelHigh);
        Array.Copy(snapshot.LabelSlot, _labelSlot, snapshot.LabelHigh + 1);
        _labelHigh = snapshot.LabelHigh;
        _slotCount = snapshot.SlotCount;
        _startSeq = snapshot.StartSeq;
        _inflightCalls = snapshot.InflightCalls;
        _inflightBootBringups = snapshot.InflightBootBringups;
        _mutexOwner = snapshot.MutexOwner;
        _hotplugWriter = snapshot.HotplugWriter;
        _hotplugReaders = snapshot.HotplugReaders;
        _pendingWriters = snapshot.PendingWriters;
        _leakedReaders = snapshot.LeakedReaders;
        _writePoint = snapshot.WritePoint;
        _callersUsed = snapshot.CallersUsed;
        _cur = null;
        _ghost = false;
        _depth = 0;
    }

    private ulong UsedSlots()
    {
        ulong used = 0;
        for (var i = 0; i < _slotCount; i++)
        {
            if (_tasks[i].State != TaskState.Free) used |= 1UL << i;
        }

        return used;
    }

    private static void CopyTask(TaskSlot from, TaskSlot to)
    {
        to.State = from.State;
        if (from.State == TaskState.Free) return;
        to.Kind = from.Kind;
        to.Label = from.Label;
        to.Cpu = from.Cpu;
        to.Context = from.Context;
        to.Op = from.Op;
        to.Page = from.Page;
        to.Pages = from.Pages;
        to.Enable = from.Enable;
        to.BootTime = from.BootTime;
        to.StartSeq = from.StartSeq;
        to.Result = from.Result;
        to.BlockedOn = from.BlockedOn;
        to.SplitWarned = from.SplitWarned;
        to.AliasFailed = from.AliasFailed;
        to.Dead = from.Dead;
        to.StartWindow = from.StartWindow;
        to.LastGuard = from.LastGuard;
        to.LastPoint = from.LastPoint;
        if (!from.IsActive)
        {
            to.LogCount = 0;
            return;
        }

        if (to.Log.Length < from.LogCount) to.Log = new long[from.Log.Length];
        Array.Copy(from.Log, to.Log, from.LogCount);
        to.LogCount = from.LogCount;
    }

    private ulong PackFlags()
    {
        ReadOnlySpan<bool> bits =
        [
            _isRealmWorld, _requiresBbml2, _capBitBbml2, _finalized, _sysBbml2, _pageAllocAvailable, _kfenceEarlyInit,
            _kfencePoolSet, _kfenceReady, _mapMemDone, _repainted, _swiotlbDone, _hung, _slabAvailable,
            _hotaddStarted, _hotaddMapped,
        ];
        ulong f = 0;
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i]) f |= 1UL << i;
        }

        return f;
    }

    private void UnpackFlags(ulong f)
    {
        _isRealmWorld = (f & 1) != 0;
        _requiresBbml2 = (f & 2) != 0;
        _capBitBbml2 = (f & 4) != 0;
        _finalized = (f & 8) != 0;
        _sysBbml2 = (f & 16) != 0;
        _pageAllocAvailable = (f & 32) != 0;
        _kfenceEarlyInit = (f & 64) != 0;
        _kfencePoolSet = (f & 128) != 0;
        _kfenceReady = (f & 256) != 0;
        _mapMemDone = (f & 512) != 0;
        _repainted = (f & 1024) != 0;
        _swiotlbDone = (f & 2048) != 0;
        _hung = (f & 4096) != 0;
        _slabAvailable = (f & 8192) != 0;
        _hotaddStarted = (f & 16384) != 0;
        _hotaddMapped = (f & 32768) != 0;
    }
}
