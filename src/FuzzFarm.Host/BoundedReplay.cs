using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Host;

/// <summary>
/// A replay whose timeline is capped: what it keeps grows with what is shown, not with pages × CPUs (a 64-CPU,
/// 1024G machine records thousands of entries per 4096-page call). Entries past the cap are counted, not kept;
/// violations are always kept (the oracle holds them, not the timeline).
/// </summary>
public static class BoundedReplay
{
    /// <summary>Timeline entries kept per variant by default.</summary>
    public const int DefaultTimelineLimit = 2000;

    /// <param name="program">The trace.</param>
    /// <param name="variant">The version to run it on.</param>
    /// <param name="env">The environment that decides which violations are reported.</param>
    /// <param name="timelineLimit">Entries to keep; 0: record no timeline at all.</param>
    public static (VariantReplay Replay, long Dropped) Run(EventProgram program, SplitVariant variant, EnvMode env, int timelineLimit = DefaultTimelineLimit)
    {
        ArgumentNullException.ThrowIfNull(program);
        var machine = new Machine(program.Machine, variant);
        var recorder = new TimelineRecorder(program.Machine);
        var capped = new CappedObserver(recorder, timelineLimit);
        var split = new FragmentationByEvent(machine.Kernel, timelineLimit > 0 ? capped : null);
        machine.Kernel.Observer = split;
        var guards = machine.Kernel.GuardCoverage = new GuardCoverage();
        var summary = machine.Run(program.Events.AsSpan());
        split.End();
        var replay = new VariantReplay(variant, env, machine.Violations.ToArray(), recorder.Entries, summary,
            machine.Kernel.TablePagesAllocated, machine.Kernel.LiveResizes)
        {
            Guards = guards,
            Fragmentation = machine.Kernel.Fragmentation,
            FragmentationByEvent = split.Deltas,
        };
        return (replay, capped.Dropped);
    }

    /// <summary>
    /// The fragmentation counters read as each event starts: what each event's calls split (a call, or a run that
    /// resumed one), what the boot did before the first event, and what the final drain did. Forwards every hook.
    /// </summary>
    private sealed class FragmentationByEvent(Kernel kernel, IKernelObserver? inner) : IKernelObserver
    {
        private int _current = FragmentationStep.Boot;
        private Fragmentation _start;

        public List<FragmentationStep> Deltas { get; } = [];

        private void Close(int next)
        {
            var now = kernel.Fragmentation;
            if (!(now - _start).IsZero) Deltas.Add(new FragmentationStep(_current, now - _start));
            (_current, _start) = (next, now);
        }

        public void End() => Close(FragmentationStep.Drain);

        public void OnEvent(int index, in MachineEvent e)
        {
            Close(index);
            inner?.OnEvent(index, e);
        }

        public void OnDrain(int eventIndex)
        {
            Close(FragmentationStep.Drain);
            inner?.OnDrain(eventIndex);
        }

        public void OnPhase(int eventIndex, BootPhase phase) => inner?.OnPhase(eventIndex, phase);

        public void OnPrimitive(int eventIndex, byte task, byte cpu, Point point, long value) => inner?.OnPrimitive(eventIndex, task, cpu, point, value);

        public void OnTaskDone(int eventIndex, byte task, byte cpu, int result) => inner?.OnTaskDone(eventIndex, task, cpu, result);

        public void OnNote(int eventIndex, byte cpu, string text) => inner?.OnNote(eventIndex, cpu, text);

        public void OnViolation(in Violation violation) => inner?.OnViolation(violation);
    }

    /// <summary>Forwards hooks to the recorder until it holds <c>limit</c> entries, then counts them.</summary>
    private sealed class CappedObserver(TimelineRecorder inner, int limit) : IKernelObserver
    {
        public long Dropped { get; private set; }

        private bool Full()
        {
            if (inner.Entries.Count < limit) return false;
            Dropped++;
            return true;
        }

        public void OnEvent(int index, in MachineEvent e)
        {
            if (!Full()) inner.OnEvent(index, e);
        }

        public void OnPhase(int eventIndex, BootPhase phase)
        {
            if (!Full()) inner.OnPhase(eventIndex, phase);
        }

        public void OnPrimitive(int eventIndex, byte task, byte cpu, Point point, long value)
        {
            if (!Full()) inner.OnPrimitive(eventIndex, task, cpu, point, value);
        }

        public void OnTaskDone(int eventIndex, byte task, byte cpu, int result)
        {
            if (!Full()) inner.OnTaskDone(eventIndex, task, cpu, result);
        }

        public void OnNote(int eventIndex, byte cpu, string text)
        {
            if (!Full()) inner.OnNote(eventIndex, cpu, text);
        }

        public void OnViolation(in Violation violation)
        {
            if (!Full()) inner.OnViolation(violation);
        }

        public void OnDrain(int eventIndex)
        {
            if (!Full()) inner.OnDrain(eventIndex);
        }
    }
}
