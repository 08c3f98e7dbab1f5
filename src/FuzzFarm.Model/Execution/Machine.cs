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

    /// <summary>
    /// Runs a prefix and hands back the state hash before the final drain (<see cref="Kernel.StateHash"/>), then
    /// finishes the run as <see cref="Run"/> does; <paramref name="inspect"/> sees the kernel before the drain.
    /// </summary>
    public RunSummary RunPrefix(ReadOnlySpan<MachineEvent> events, out ulong stateHash, IPrefixInspector? inspect = null)
    {
        _kernel.Reset();
        _kernel.ExecuteEvents(events);
        stateHash = _kernel.StateHash();
        inspect?.Inspect(_kernel);
        _kernel.Finish(events.Length);
        return new RunSummary(_kernel.Violations.Length, _kernel.AssumptionsUsed, _kernel.SkippedEvents);
    }

    /// <summary>
    /// Continues from a saved state: restores <paramref name="from"/> (the state after <paramref name="prefixLength"/>
    /// events), runs <paramref name="more"/>, and returns the state hash before the drain. Call
    /// <see cref="FinishRun"/> to drain and see the run's violations, or skip it when the state is known.
    /// </summary>
    public ulong Continue(KernelSnapshot from, int prefixLength, ReadOnlySpan<MachineEvent> more, IPrefixInspector? inspect = null)
    {
        _kernel.Restore(from);
        _kernel.ExecuteEvents(more, prefixLength);
        inspect?.Inspect(_kernel);
        return _kernel.StateHash();
    }

    /// <summary>Resets to the start of a program: nothing has run (the first step of a run in parts).</summary>
    public void Restart() => _kernel.Reset();

    /// <summary>Restores a state saved from this machine (the state after some prefix of a program).</summary>
    public void Restore(KernelSnapshot from) => _kernel.Restore(from);

    /// <summary>
    /// Runs the events that follow the current state, numbered from <paramref name="firstIndex"/>, without the
    /// final drain: Restart (or Restore), Advance over consecutive parts, then <see cref="FinishRun"/> equals <see cref="Run"/>.
    /// </summary>
    public void Advance(ReadOnlySpan<MachineEvent> events, int firstIndex) => _kernel.ExecuteEvents(events, firstIndex);

    /// <summary>Saves the state between events (after <see cref="Continue"/> or <see cref="RunPrefixOnly"/>).</summary>
    public void Save(KernelSnapshot into) => _kernel.Save(into);

    /// <summary>Resets and runs events without the final drain.</summary>
    public void RunPrefixOnly(ReadOnlySpan<MachineEvent> events)
    {
        _kernel.Reset();
        _kernel.ExecuteEvents(events);
    }

    /// <summary>Ends a program of <paramref name="length"/> events: drains in-flight calls, runs the end checks.</summary>
    public RunSummary FinishRun(int length)
    {
        _kernel.Finish(length);
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

/// <summary>Reads the kernel between a prefix and its final drain (the explorer collects the next events there).</summary>
public interface IPrefixInspector
{
    void Inspect(Kernel kernel);
}
