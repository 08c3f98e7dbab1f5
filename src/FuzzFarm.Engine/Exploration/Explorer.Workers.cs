using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>The explorer's level storage and per-thread workers.</summary>
public sealed partial class Explorer
{
    /// <summary>Prefixes of one length, back to back in one array.</summary>
    private sealed class Level(int length)
    {
        private MachineEvent[] _events = new MachineEvent[Math.Max(1, length) * 1024];

        public int Count { get; private set; }

        public ReadOnlySpan<MachineEvent> Prefix(int index) => _events.AsSpan(index * length, length);

        public void Add(ReadOnlySpan<MachineEvent> prefix)
        {
            if ((Count + 1) * length > _events.Length) Array.Resize(ref _events, _events.Length * 2);
            prefix.CopyTo(_events.AsSpan(Count * length, length));
            Count++;
        }
    }

    /// <summary>
    /// A next event of a parent prefix: the state it reaches (new to earlier levels), or a violation. Runs counts
    /// the executions spent on it and on the events before it that reached known states (so the total is exact).
    /// </summary>
    private readonly record struct ChildRecord(int Parent, MachineEvent Event, ulong Hash, bool Violated, int Runs, bool Skip = false);

    /// <summary>One thread's machine, saved state, inspector and output.</summary>
    private sealed class Worker(MachineConfig machine, SplitVariant variant)
    {
        private readonly KernelSnapshot _snapshot = new();
        private readonly MachineEvent[] _one = new MachineEvent[1];
        private readonly List<MachineEvent> _events = [];
        private readonly HashSet<ulong> _level = [];

        public Machine Machine { get; } = new(machine, variant);

        public Inspector Inspector { get; } = new();

        /// <summary>Children of this worker's parents (parent index ≡ worker mod workers), in parent order.</summary>
        public List<ChildRecord> Children { get; } = [];

        public void ExpandAll(Level level, int worker, int workers, int depth, Alphabet alphabet, ViolationObjective objective, HashSet<ulong> earlier, CancellationToken cancel)
        {
            Children.Clear();
            // States this worker already produced at this depth: later copies are dropped before the merge,
            // which keeps the earliest one in frontier order (so the result stays independent of the split).
            _level.Clear();
            for (var parent = worker; parent < level.Count && !cancel.IsCancellationRequested; parent += workers)
                Expand(parent, level.Prefix(parent), depth, alphabet, objective, earlier);
        }

        private void Expand(int parent, ReadOnlySpan<MachineEvent> prefix, int depth, Alphabet alphabet, ViolationObjective objective, HashSet<ulong> earlier)
        {
            // Replay the prefix once; every next event continues from the saved state.
            Machine.RunPrefixOnly(prefix);
            Inspector.Watch = 0;
            Inspector.Inspect(Machine.Kernel);
            Machine.Save(_snapshot);
            var label = (byte)1;
            foreach (ref readonly var e in prefix)
            {
                if (e.StartsTask) label++;
            }

            alphabet.Events(Inspector.Summary(), label, _events);
            var runs = 0;
            foreach (var template in _events)
            {
                var expand = template.Stop.Kind == StopKind.AfterCount;
                for (var n = 1; n <= Alphabet.MaxStopPoints; n++)
                {
                    _one[0] = expand ? template with { Stop = StopSpec.After(n) } : template;
                    Inspector.Watch = _one[0].StartsTask ? _one[0].Task : (byte)0;
                    var hash = Machine.Continue(_snapshot, prefix.Length, _one, Inspector);
                    runs++;
                    if (objective.AnyIn(Machine))
                    {
                        Children.Add(new ChildRecord(parent, _one[0], hash, true, runs));
                        runs = 0;
                    }
                    else if (!earlier.Contains(hash) && _level.Add(hash))
                    {
                        // A state no earlier level had: does the drain from it break an invariant?
                        Machine.FinishRun(depth);
                        Children.Add(new ChildRecord(parent, _one[0], hash, objective.AnyIn(Machine), runs));
                        runs = 0;
                    }

                    // A task that ran to its end (or an event that started none) needs no later stop.
                    if (!expand || !Inspector.WatchedActive) break;
                }
            }

            // Runs that only reached known states still count as executions.
            if (runs > 0) Children.Add(new ChildRecord(parent, default, 0, false, runs, Skip: true));
        }
    }

    private sealed class Inspector : IPrefixInspector
    {
        private readonly ActiveTask[] _tasks = new ActiveTask[Kernel.MaxTasks];
        private int _count;
        private BootPhase _phase;
        private ulong _online;
        private ulong _mmuOn;
        private bool _hotadd;

        public byte Watch { get; set; }

        public bool WatchedActive { get; private set; }

        public void Inspect(Kernel kernel)
        {
            _count = kernel.ActiveTasks(_tasks);
            _phase = kernel.Phase;
            _online = kernel.OnlineMask;
            _mmuOn = kernel.MmuOnMask;
            _hotadd = kernel.HotaddStarted;
            WatchedActive = false;
            for (var i = 0; i < _count; i++)
            {
                if (_tasks[i].Label == Watch) WatchedActive = true;
            }
        }

        /// <summary>The last inspected state (a view of this inspector's arrays: valid until the next Inspect).</summary>
        public StateSummary Summary() => new(_phase, _online, _mmuOn, _tasks.AsMemory(0, _count), _hotadd);
    }
}
