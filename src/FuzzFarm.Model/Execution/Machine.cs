namespace FuzzFarm.Model;

/// <summary>
/// Runs event programs on one simulated machine with one variant: reset in place, execute, read the outcome.
/// One instance per thread; reuse it across executions (no allocation per execution).
/// </summary>
public sealed class Machine
{
    private readonly Kernel _kernel;

    public Machine(MachineConfig config, SplitVariant variant)
    {
        _kernel = new Kernel(config, variant);
    }

    public Kernel Kernel => _kernel;

    public MachineConfig Config => _kernel.Config;

    public SplitVariant Variant => _kernel.Variant;

    /// <summary>Resets the machine and runs the events; then every still in-flight call is run to its end.</summary>
    public RunSummary Run(ReadOnlySpan<MachineEvent> events)
    {
        _kernel.Reset();
        _kernel.Execute(events);
        return new RunSummary(_kernel.Violations.Length, _kernel.AssumptionsUsed, _kernel.SkippedEvents);
    }

    public ReadOnlySpan<Violation> Violations => _kernel.Violations;

    /// <summary>True when a run in <paramref name="env"/> reports at least one violation.</summary>
    public bool HasViolation(EnvMode env)
    {
        foreach (ref readonly var v in _kernel.Violations)
        {
            if (v.ReportedIn(env)) return true;
        }

        return false;
    }
}

/// <summary>What one run produced, in numbers.</summary>
public readonly record struct RunSummary(int Violations, Assumptions AssumptionsUsed, int SkippedEvents);
