using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>Runs programs on one reusable <see cref="Machine"/> with observers around each run; no allocation.</summary>
public sealed class MachineExecutor : IExecutor
{
    private readonly IObserver[] _observers;
    private readonly IObjective _objective;

    public MachineExecutor(Machine machine, IObjective objective, params IObserver[] observers)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(objective);
        Machine = machine;
        _objective = objective;
        _observers = observers ?? [];
    }

    public Machine Machine { get; }

    public long Executions { get; private set; }

    /// <summary>Prefix snapshots for <see cref="Run(ReadOnlySpan{MachineEvent}, MachineEvent[])"/> (null: every run starts from the reset).</summary>
    public PrefixSnapshots? Prefixes { get; init; }

    public ExitKind Run(ReadOnlySpan<MachineEvent> program) => Run(program, null);

    /// <summary>
    /// Runs a mutant of <paramref name="parent"/> (a corpus entry's events): from the deepest prefix snapshot the
    /// two share when <see cref="Prefixes"/> is set, otherwise from the reset. The outcome is the same either way.
    /// </summary>
    public ExitKind Run(ReadOnlySpan<MachineEvent> program, MachineEvent[]? parent)
    {
        foreach (var o in _observers) o.PreExec(Machine);
        if (parent is null || Prefixes is null)
        {
            Machine.Run(program);
        }
        else
        {
            Prefixes.RunEvents(program, parent);
            Machine.FinishRun(program.Length);
        }

        foreach (var o in _observers) o.PostExec(Machine);
        Executions++;
        foreach (ref readonly var v in Machine.Violations)
        {
            if (_objective.Selects(v)) return ExitKind.Violation;
        }

        return ExitKind.Ok;
    }
}
