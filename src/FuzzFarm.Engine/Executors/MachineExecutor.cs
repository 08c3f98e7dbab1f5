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

    public ExitKind Run(ReadOnlySpan<MachineEvent> program)
    {
        foreach (var o in _observers) o.PreExec(Machine);
        Machine.Run(program);
        foreach (var o in _observers) o.PostExec(Machine);
        Executions++;
        foreach (ref readonly var v in Machine.Violations)
        {
            if (_objective.Selects(v)) return ExitKind.Violation;
        }

        return ExitKind.Ok;
    }
}
