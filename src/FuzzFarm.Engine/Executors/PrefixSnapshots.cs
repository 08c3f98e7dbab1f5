using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Machine snapshots at prefix points of corpus entries, for the fuzz loop: a mutant usually shares a prefix with
/// the entry it was made from, so it runs from the deepest snapshot inside that shared prefix instead of from the
/// reset. Snapshots sit every <see cref="Stride"/> events of an entry and after its boot-phase events, made on demand (the first mutant
/// that shares a longer prefix than any snapshot saves one on its way); at most <c>capacity</c> are kept, the
/// least recently used is reused first. A run through here is the same run as one from the start (same
/// violations, assumptions, skipped events, state): <see cref="Kernel.Save"/> holds everything a reset clears.
/// What it does not repeat is the prefix's observation: model-state features and SharpFuzz edges of the prefix
/// are not seen again (they were when the entry ran), while the guard tally is (each snapshot remembers what its
/// prefix counted). Not thread-safe; one per machine; no allocation per run once the snapshots are warm.
/// </summary>
public sealed class PrefixSnapshots
{
    /// <summary>Events between two snapshot points of an entry.</summary>
    public const int Stride = 4;

    private readonly Machine _machine;
    private readonly Slot[] _slots;
    private readonly long[] _guardsBefore = new long[GuardCoverage.RawLength];
    private readonly long[] _guardsAfter = new long[GuardCoverage.RawLength];
    private long _clock;

    public PrefixSnapshots(Machine machine, int capacity)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _machine = machine;
        _slots = new Slot[capacity];
        for (var i = 0; i < capacity; i++) _slots[i] = new Slot();
    }

    /// <summary>Runs that started from a snapshot.</summary>
    public long Hits { get; private set; }

    /// <summary>Runs through here that started from the reset.</summary>
    public long Misses { get; private set; }

    /// <summary>Events not executed because a snapshot held their effect.</summary>
    public long EventsSkipped { get; private set; }

    /// <summary>Snapshots saved (made or remade).</summary>
    public long Saves { get; private set; }

    /// <summary>Bytes the snapshots in use hold (estimate).</summary>
    public long BytesHeld
    {
        get
        {
            long bytes = 0;
            foreach (var s in _slots)
            {
                if (s.Owner is not null) bytes += s.Snapshot.BytesHeld + s.Guards.Length * 8L;
            }

            return bytes;
        }
    }

    /// <summary>Forgets every snapshot (a new machine or corpus).</summary>
    public void Clear()
    {
        foreach (var s in _slots) s.Owner = null;
    }

    /// <summary>
    /// Runs <paramref name="program"/>, a mutant of <paramref name="parent"/> (a corpus entry's events, which must
    /// not change while snapshots of it are kept), without the final drain; call <see cref="Machine.FinishRun"/>.
    /// </summary>
    public void RunEvents(ReadOnlySpan<MachineEvent> program, MachineEvent[] parent)
    {
        var shared = SharedPrefix(program, parent, out var afterPhase);
        var best = Deepest(parent, shared);
        var guards = _machine.Kernel.GuardCoverage;
        int at;
        if (best is null)
        {
            _machine.Restart();
            at = 0;
            Misses++;
        }
        else
        {
            _machine.Restore(best.Snapshot);
            guards?.Add(best.Guards);
            at = best.Length;
            best.Used = ++_clock;
            Hits++;
            EventsSkipped += at;
        }

        // The deepest snapshot point inside the shared prefix (a stride point, or just after a boot-phase event:
        // phases such as the FINALIZE repaint are the costly steps) becomes a snapshot on the way, if it is new.
        var point = Math.Max(shared / Stride * Stride, afterPhase);
        if (point > at)
        {
            guards?.CopyTo(_guardsBefore);
            _machine.Advance(program[at..point], at);
            var slot = Victim();
            _machine.Save(slot.Snapshot);
            slot.Owner = parent;
            slot.Length = point;
            slot.Used = ++_clock;
            if (best is null) Array.Clear(slot.Guards);
            else best.Guards.CopyTo(slot.Guards, 0);
            if (guards is not null)
            {
                guards.CopyTo(_guardsAfter);
                for (var i = 0; i < slot.Guards.Length; i++) slot.Guards[i] += _guardsAfter[i] - _guardsBefore[i];
            }

            Saves++;
            at = point;
        }

        _machine.Advance(program[at..], at);
    }

    private static int SharedPrefix(ReadOnlySpan<MachineEvent> program, MachineEvent[] parent, out int afterPhase)
    {
        var n = Math.Min(program.Length, parent.Length);
        var i = 0;
        afterPhase = 0;
        while (i < n && program[i] == parent[i])
        {
            if (parent[i].Kind == EventKind.Phase) afterPhase = i + 1;
            i++;
        }

        return i;
    }

    private Slot? Deepest(MachineEvent[] parent, int shared)
    {
        Slot? best = null;
        foreach (var s in _slots)
        {
            if (ReferenceEquals(s.Owner, parent) && s.Length <= shared && (best is null || s.Length > best.Length)) best = s;
        }

        return best;
    }

    private Slot Victim()
    {
        var victim = _slots[0];
        foreach (var s in _slots)
        {
            if (s.Owner is null) return s;
            if (s.Used < victim.Used) victim = s;
        }

        return victim;
    }

    private sealed class Slot
    {
        public readonly KernelSnapshot Snapshot = new(compact: true);
        public readonly long[] Guards = new long[GuardCoverage.RawLength];
        public MachineEvent[]? Owner;
        public int Length;
        public long Used;
    }
}
