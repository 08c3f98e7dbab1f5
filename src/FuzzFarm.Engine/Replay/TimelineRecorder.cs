using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>What a timeline entry records.</summary>
public enum TimelineKind
{
    /// <summary>A trace event was executed (<see cref="TimelineEntry.Text"/> is its trace line).</summary>
    Event,

    /// <summary>The boot reached <see cref="TimelineEntry.Phase"/>.</summary>
    Phase,

    /// <summary>A kernel primitive ran (<see cref="TimelineEntry.Point"/>, <see cref="TimelineEntry.Value"/>).</summary>
    Primitive,

    /// <summary>A task's call returned (<see cref="TimelineEntry.Value"/> is the result).</summary>
    Done,

    /// <summary>The model noted something.</summary>
    Note,

    /// <summary>The oracle reported a violation (<see cref="TimelineEntry.Point"/> is where).</summary>
    Violation,

    /// <summary>The program ended; in-flight calls ran to completion.</summary>
    Drain,
}

/// <summary>One entry of the per-CPU timeline: during event <see cref="Event"/>, on <see cref="Cpu"/>'s lane.</summary>
public sealed record TimelineEntry(int Event, int Cpu, string Text, bool IsViolation = false)
{
    public TimelineKind Kind { get; init; } = IsViolation ? TimelineKind.Violation : TimelineKind.Note;

    public Point? Point { get; init; }

    public BootPhase? Phase { get; init; }

    public long Value { get; init; }

    /// <summary>The task (trace label) the entry belongs to; 0 for the kernel itself.</summary>
    public int Task { get; init; }
}

/// <summary>Turns the kernel's observer hooks into readable timeline lines (allocates; never on the hot path).</summary>
public sealed class TimelineRecorder : IKernelObserver
{
    private readonly MachineConfig _machine;
    private readonly List<TimelineEntry> _entries = [];
    private readonly Dictionary<byte, (string What, int Cpu)> _tasks = [];

    public TimelineRecorder(MachineConfig machine)
    {
        _machine = machine;
    }

    public IReadOnlyList<TimelineEntry> Entries => _entries;

    public void OnEvent(int index, in MachineEvent e)
    {
        switch (e.Kind)
        {
            case EventKind.Call:
                _tasks[e.Task] = (TraceNames.Op(e.Op) + (e.Context == CallContext.Atomic ? " [atomic]" : ""), e.Cpu);
                break;
            case EventKind.CpuUp:
                _tasks[e.Task] = ($"_cpu_up({e.Cpu})", 0);
                break;
            case EventKind.CpuDown:
                _tasks[e.Task] = ($"_cpu_down({e.Cpu})", 0);
                break;
        }

        _entries.Add(new TimelineEntry(index, e.Kind == EventKind.Call ? e.Cpu : 0, "> " + TraceWriter.FormatEvent(e, _machine))
        {
            Kind = TimelineKind.Event, Task = e.Task,
        });
    }

    public void OnPhase(int eventIndex, BootPhase phase) =>
        _entries.Add(new TimelineEntry(eventIndex, 0, $"phase {TraceNames.Phase(phase)}") { Kind = TimelineKind.Phase, Phase = phase });

    public void OnPrimitive(int eventIndex, byte task, byte cpu, Point point, long value)
    {
        if (point is Point.Oracle or Point.LazyMmu || (point == Point.Warn && value == 0)) return;
        var lane = LaneOf(task, cpu, point);
        _entries.Add(new TimelineEntry(eventIndex, lane, $"{TaskName(task)} {Describe(point, value)}")
        {
            Kind = TimelineKind.Primitive, Point = point, Value = value, Task = task,
        });
    }

    public void OnTaskDone(int eventIndex, byte task, byte cpu, int result)
    {
        var lane = _tasks.TryGetValue(task, out var t) ? t.Cpu : 0;
        _entries.Add(new TimelineEntry(eventIndex, lane, $"{TaskName(task)} returns {result}")
        {
            Kind = TimelineKind.Done, Value = result, Task = task,
        });
    }

    public void OnNote(int eventIndex, byte cpu, string text) => _entries.Add(new TimelineEntry(eventIndex, cpu, text));

    public void OnViolation(in Violation v) =>
        _entries.Add(new TimelineEntry(v.EventIndex, v.Cpu, $"!! {v.Id}: {v.Detail}", IsViolation: true) { Point = v.Where, Task = v.TaskLabel });

    public void OnDrain(int eventIndex) =>
        _entries.Add(new TimelineEntry(eventIndex, 0, "end of program: in-flight calls run to completion") { Kind = TimelineKind.Drain });

    private int LaneOf(byte task, byte cpu, Point point)
    {
        // _cpu_up()/_cpu_down() run on the boot CPU; the secondary's own steps run on the secondary.
        if (point is Point.SecondaryMmuOn or Point.CheckLocalCpuCapabilities or Point.SetCpuOnline or Point.CpuDieEarly
            or Point.SetCpuOffline or Point.CpuMmuOff)
            return cpu;
        return _tasks.TryGetValue(task, out var t) ? t.Cpu : cpu;
    }

    private string TaskName(byte task) =>
        task == 0 ? "kernel:" : _tasks.TryGetValue(task, out var t) ? $"t{task} {t.What}:" : $"t{task}:";

    private static string Describe(Point point, long value) => point switch
    {
        Point.NumOnlineCpus or Point.Walk => $"{Points.Name(point)}() = {value}",
        Point.PgtableAlloc => value < 0 ? "pgtable_alloc() failed" : "pgtable_alloc() (may sleep)",
        Point.Warn => "WARN",
        Point.MutexLock or Point.MutexUnlock or Point.CpusReadLock or Point.CpusReadUnlock or Point.CpusWriteLock
            or Point.CpusWriteUnlock or Point.FlushTlb or Point.RsiSetMemoryRange or Point.SecondaryMmuOn
            or Point.SetCpuOnline or Point.CpuDieEarly or Point.SetCpuOffline or Point.CpuMmuOff
            or Point.SplitPud or Point.SplitPmd or Point.SplitContPmd or Point.SplitContPte or Point.RangeSplitToPtes =>
            Points.Name(point),
        _ => $"{Points.Name(point)}() = {(value != 0 ? "true" : "false")}",
    };
}
