using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>
/// Each havoc mutator, applied to a small known program with fixed seeds, has exactly its documented effect; a
/// mutator that says it could not apply leaves the program alone; and any stack of mutators followed by a
/// repair gives a valid program.
/// </summary>
public sealed class MutatorTests
{
    private const int Seeds = 200;

    /// <summary>Z8 with a second phase, a completed early call and a step: every event kind appears.</summary>
    private static readonly MachineEvent[] _program = E.Parse(E.Z3Machine,
        "phase mem-init",
        "call t1 cpu=0 ctx=task set_memory_rw addr=ram+0x10000000 stop=mutex_lock",
        "phase smp-init",
        "call t2 cpu=0 ctx=task set_memory_ro addr=ram+0x40201000 stop=mutex_lock",
        "cpu-up t3 cpu=1",
        "run t2",
        "step t1 to=split_pmd");

    private static MutationContext Context(MachineConfig machine, params MachineEvent[][] corpus)
    {
        var c = new InMemoryCorpus();
        foreach (var p in corpus) c.Add(new CorpusEntry(p, 0, 1));
        return new MutationContext(machine, c);
    }

    /// <summary>Runs the mutator on the program once per seed; checks the effect of every applied mutation.</summary>
    private static int Apply(IMutator mutator, MutationContext ctx, MachineEvent[] program, Action<MachineEvent[]> check)
    {
        var applied = 0;
        var buffer = new ProgramBuffer();
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var rng = new Prng(seed);
            buffer.Load(program);
            if (mutator.Mutate(buffer, ref rng, ctx))
            {
                applied++;
                check(buffer.Events.ToArray());
            }
            else
            {
                Assert.True(buffer.Events.SequenceEqual(program), $"{mutator.Name} (seed {seed}) said it did not apply but changed the program");
            }
        }

        return applied;
    }

    private static bool IsSubsequence(ReadOnlySpan<MachineEvent> small, ReadOnlySpan<MachineEvent> big)
    {
        var j = 0;
        foreach (var e in big)
        {
            if (j < small.Length && e == small[j]) j++;
        }

        return j == small.Length;
    }

    private static Dictionary<MachineEvent, int> Counts(IEnumerable<MachineEvent> events) =>
        events.GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());

    private static bool SameMultiset(IEnumerable<MachineEvent> a, IEnumerable<MachineEvent> b)
    {
        var ca = Counts(a);
        var cb = Counts(b);
        return ca.Count == cb.Count && ca.All(kv => cb.TryGetValue(kv.Key, out var n) && n == kv.Value);
    }

    private static MachineEvent[] InsertAt(MachineEvent[] p, int at, MachineEvent e) => [.. p[..at], e, .. p[at..]];

    private static int[] Differences(MachineEvent[] a, MachineEvent[] b) =>
        Enumerable.Range(0, a.Length).Where(i => a[i] != b[i]).ToArray();

    [Fact]
    public void InsertEvent_AddsOneEventAndKeepsTheOthersInOrder()
    {
        var ctx = Context(E.Z3Machine, _program);
        var applied = Apply(new InsertEvent(), ctx, _program, r =>
        {
            Assert.Equal(_program.Length + 1, r.Length);
            Assert.True(IsSubsequence(_program, r), E.Text(E.Z3Machine, r));
        });
        Assert.Equal(Seeds, applied);
    }

    [Fact]
    public void InsertEvent_RefusesWhenTheBufferIsAtItsLimit()
    {
        var buffer = new ProgramBuffer { Limit = _program.Length };
        buffer.Load(_program);
        var rng = new Prng(1);
        Assert.False(new InsertEvent().Mutate(buffer, ref rng, Context(E.Z3Machine, _program)));
        Assert.Equal(_program, buffer.Events.ToArray());
    }

    [Fact]
    public void DeleteEvent_RemovesOneShortRunOfEvents()
    {
        var ctx = Context(E.Z3Machine, _program);
        var lengths = new HashSet<int>();
        var applied = Apply(new DeleteEvent(), ctx, _program, r =>
        {
            var removed = _program.Length - r.Length;
            Assert.InRange(removed, 1, 4);
            lengths.Add(removed);
            Assert.True(IsSubsequence(r, _program));
            // One contiguous run: the result is a prefix of the original followed by a suffix of it.
            Assert.Contains(Enumerable.Range(0, r.Length + 1),
                at => r.AsSpan(0, at).SequenceEqual(_program.AsSpan(0, at)) && r.AsSpan(at).SequenceEqual(_program.AsSpan(at + removed)));
        });
        Assert.Equal(Seeds, applied);
        Assert.Contains(1, lengths);
        Assert.True(lengths.Count > 1, "only single deletions were drawn");
    }

    [Fact]
    public void DuplicateEvent_CopiesOneEventToAPlaceShortlyAfterIt()
    {
        var ctx = Context(E.Z3Machine, _program);
        var applied = Apply(new DuplicateEvent(), ctx, _program, r =>
        {
            Assert.Equal(_program.Length + 1, r.Length);
            var matches = from src in Enumerable.Range(0, _program.Length)
                          from to in Enumerable.Range(src + 1, 3)
                          where to <= _program.Length && r.SequenceEqual(InsertAt(_program, to, _program[src]))
                          select src;
            Assert.True(matches.Any(), E.Text(E.Z3Machine, r));
            var extra = Counts(r).Where(kv => kv.Value != Counts(_program).GetValueOrDefault(kv.Key)).ToArray();
            Assert.Single(extra);
            Assert.Equal(Counts(_program)[extra[0].Key] + 1, extra[0].Value);
        });
        Assert.Equal(Seeds, applied);
    }

    [Fact]
    public void SwapNeighbours_ExchangesExactlyTwoAdjacentEvents()
    {
        var ctx = Context(E.Z3Machine, _program);
        var applied = Apply(new SwapNeighbours(), ctx, _program, r =>
        {
            Assert.True(SameMultiset(_program, r));
            var diff = Differences(_program, r);
            Assert.Equal(2, diff.Length);
            Assert.Equal(diff[0] + 1, diff[1]);
            Assert.Equal(_program[diff[0]], r[diff[1]]);
            Assert.Equal(_program[diff[1]], r[diff[0]]);
        });
        Assert.Equal(Seeds, applied);
    }

    [Fact]
    public void Splice_IsAPrefixOfThisProgramFollowedByASuffixOfACorpusProgramWithShiftedLabels()
    {
        var z3 = E.Events("Z3");
        var z8 = E.Events("Z8");
        var ctx = Context(E.Z3Machine, z3, z8);
        static MachineEvent Shift(MachineEvent e) => e.Task == 0 ? e : e with { Task = (byte)(128 + (e.Task % 127)) };
        var applied = Apply(new Splice(), ctx, _program, r =>
        {
            var explained = false;
            foreach (var other in new[] { z3, z8 })
            {
                for (var cut = 0; cut <= _program.Length && !explained; cut++)
                {
                    for (var from = 0; from < other.Length && !explained; from++)
                    {
                        MachineEvent[] expected = [.. _program[..cut], .. other[from..].Select(Shift)];
                        explained = r.SequenceEqual(expected);
                    }
                }
            }

            Assert.True(explained, E.Text(E.Z3Machine, r));
        });
        Assert.Equal(Seeds, applied);
    }

    [Fact]
    public void Splice_NeedsTwoCorpusEntries()
    {
        var buffer = new ProgramBuffer();
        buffer.Load(_program);
        var rng = new Prng(7);
        Assert.False(new Splice().Mutate(buffer, ref rng, Context(E.Z3Machine, E.Events("Z3"))));
        Assert.Equal(_program, buffer.Events.ToArray());
    }

    [Fact]
    public void ChangeArgument_ChangesOneEventInItsArgumentsOnly()
    {
        var ctx = Context(E.Z3Machine, _program);
        var changed = 0;
        var applied = Apply(new ChangeArgument(), ctx, _program, r =>
        {
            Assert.Equal(_program.Length, r.Length);
            var diff = Differences(_program, r);
            Assert.True(diff.Length <= 1, E.Text(E.Z3Machine, r));
            if (diff.Length == 0) return;
            changed++;
            var (before, after) = (_program[diff[0]], r[diff[0]]);
            Assert.Equal(before.Task, after.Task);
            Assert.Equal(before.Stop, after.Stop);
            switch (before.Kind)
            {
                case EventKind.Call:
                    Assert.Equal(EventKind.Call, after.Kind);
                    Assert.InRange(after.Pages, 1, MachineEvent.MaxPages);
                    Assert.True((ulong)after.Page + after.Pages <= E.Z3Machine.RamBytes / Units.PAGE_SIZE);
                    Assert.True(after.Cpu < E.Z3Machine.Cpus);
                    break;
                case EventKind.CpuUp or EventKind.CpuDown:
                    // The documented arguments are the CPU; the mutator also turns a bring-up into an unplug and back.
                    Assert.True(after.Kind is EventKind.CpuUp or EventKind.CpuDown);
                    Assert.InRange(after.Cpu, 1, E.Z3Machine.Cpus - 1);
                    break;
                case EventKind.Phase:
                    Assert.Equal(EventKind.Phase, after.Kind);
                    Assert.Equal(1, Math.Abs((int)after.Phase - (int)before.Phase));
                    break;
                default:
                    Assert.Fail($"step/run have no argument to change, got {TraceWriter.FormatEvent(after, E.Z3Machine)}");
                    break;
            }
        });
        Assert.True(applied > Seeds / 2, $"applied {applied} times");
        Assert.True(changed > applied / 2, $"changed {changed} of {applied}");
    }

    [Fact]
    public void MovePhase_MovesOneEventAcrossTheNearestPhaseEvent()
    {
        var ctx = Context(E.Z3Machine, _program);
        var applied = Apply(new MovePhase(), ctx, _program, r =>
        {
            Assert.True(SameMultiset(_program, r));
            // Find the moved event: r is the original with one event taken out and put back elsewhere.
            var moves = (from i in Enumerable.Range(0, _program.Length)
                         from j in Enumerable.Range(0, _program.Length)
                         where i != j && r.SequenceEqual(InsertAt([.. _program[..i], .. _program[(i + 1)..]], j, _program[i]))
                         select (From: i, To: j)).ToArray();
            Assert.NotEmpty(moves);
            // A swap of neighbours has two readings; one of them must cross exactly the nearest phase event.
            Assert.Contains(moves, m =>
            {
                var crossed = m.From < m.To ? _program[(m.From + 1)..(m.To + 1)] : _program[m.To..m.From];
                return crossed.Count(e => e.Kind == EventKind.Phase) == 1
                    && (m.From < m.To ? crossed[^1] : crossed[0]).Kind == EventKind.Phase;
            });
        });
        Assert.True(applied > Seeds / 4, $"applied {applied} times");
    }

    [Fact]
    public void MovePhase_WithoutPhaseEventsDoesNotApply()
    {
        MachineEvent[] noPhase = [.. _program.Where(e => e.Kind != EventKind.Phase)];
        Assert.Equal(0, Apply(new MovePhase(), Context(E.Z3Machine, noPhase), noPhase, _ => { }));
    }

    [Fact]
    public void ChangePreemption_ChangesAStopOrRunsSomethingInTheWindowOfAStoppedEvent()
    {
        var ctx = Context(E.Z3Machine, _program);
        var stops = 0;
        var windows = 0;
        var applied = Apply(new ChangePreemption(), ctx, _program, r =>
        {
            if (r.Length == _program.Length)
            {
                var diff = Differences(_program, r);
                Assert.True(diff.Length <= 1, E.Text(E.Z3Machine, r));
                if (diff.Length == 0) return; // the same stop drawn again
                var (before, after) = (_program[diff[0]], r[diff[0]]);
                Assert.Equal(before with { Stop = after.Stop }, after);
                Assert.True(before.Kind is not (EventKind.Phase or EventKind.Run));
                stops++;
                return;
            }

            Assert.InRange(r.Length, _program.Length + 1, _program.Length + 2);
            var added = r.Length - _program.Length;
            // Inserted right after event `at`, which had a stop (and, for two events, a run of that task follows).
            var places = Enumerable.Range(0, _program.Length).Where(at =>
                r.AsSpan(0, at + 1).SequenceEqual(_program.AsSpan(0, at + 1))
                && r.AsSpan(at + 1 + added).SequenceEqual(_program.AsSpan(at + 1))
                && _program[at].Stop.Kind != StopKind.None
                && r[at + 1].Kind is EventKind.Call or EventKind.CpuUp or EventKind.Step
                && (added == 1 || (_program[at].StartsTask && r[at + 2] == MachineEvent.RunTask(_program[at].Task))));
            Assert.True(places.Any(), E.Text(E.Z3Machine, r));

            windows++;
        });
        Assert.True(stops > 0 && windows > 0, $"applied {applied}: {stops} stop changes, {windows} window insertions");
    }

    [Fact]
    public void ByteMutation_GivesAProgramTheDecoderAccepts()
    {
        var ctx = Context(E.Z3Machine, _program);
        var different = 0;
        var applied = Apply(new ByteMutation(), ctx, _program, r =>
        {
            Assert.True(r.Length <= ProgramBuffer.Capacity);
            Assert.Null(new EventProgram(E.Z3Machine, r).Validate());
            if (!r.SequenceEqual(_program)) different++;
        });
        Assert.Equal(Seeds, applied);
        Assert.True(different > Seeds / 2, $"only {different} of {Seeds} byte mutations changed the program");
    }

    public static TheoryData<string> Machines => ["z3", "rich"];

    [Theory]
    [MemberData(nameof(Machines))]
    public void AnyStackOfMutationsThenRepair_IsAValidProgram(string which)
    {
        var machine = which == "z3" ? E.Z3Machine : E.Rich;
        var corpus = new InMemoryCorpus();
        foreach (var p in new[] { _program, E.Events("Z3"), E.Events("Z8"), [] }) corpus.Add(new CorpusEntry(p, 0, 1));
        var ctx = new MutationContext(machine, corpus);
        var mutators = Mutators.All();
        var buffer = new ProgramBuffer();
        var rng = new Prng(0xf022);
        for (var i = 0; i < 2000; i++)
        {
            buffer.Limit = i % 3 == 0 ? 16 : ProgramBuffer.Capacity;
            buffer.Load(corpus[rng.Below(corpus.Count)].Events);
            var stack = rng.Between(1, 8);
            for (var s = 0; s < stack; s++) mutators[rng.Below(mutators.Length)].Mutate(buffer, ref rng, ctx);
            var bounded = i % 2 == 0;
            buffer.Repair(machine, bounded);
            var events = buffer.Events.ToArray();
            var problem = new EventProgram(machine, events).Validate();
            Assert.True(problem is null, $"iteration {i}: {problem}\n{E.Text(machine, events)}");
            Assert.True(events.Length <= buffer.Limit);
            if (bounded)
            {
                Assert.DoesNotContain(events, e => e.Kind == EventKind.Call && e.Pages > ProgramBuffer.MaxVmallocPages
                    && e.Op is CallOp.SetMemoryRo or CallOp.SetMemoryRw or CallOp.SetMemoryX or CallOp.SetMemoryNx);
            }

            if (i % 40 == 0) corpus.Add(new CorpusEntry(events, i, 1));
        }
    }
}
