using FuzzFarm.Model;

namespace FuzzFarm.Engine;

// The engine's components in LibAFL's shape (see docs/STYLE: Executor, Observer, Feedback, Objective, Mutator,
// Scheduler, Corpus, Stage). One concrete input type: a program buffer of MachineEvent values.

/// <summary>How one execution ended. Outcomes are values, not exceptions.</summary>
public enum ExitKind : byte
{
    /// <summary>The run ended with no violation the objective selects.</summary>
    Ok,

    /// <summary>The oracle reported a violation the objective selects.</summary>
    Violation,
}

/// <summary>Runs one program on a simulated machine, with observers around it.</summary>
public interface IExecutor
{
    /// <summary>The machine the executor owns (for objectives and findings).</summary>
    Machine Machine { get; }

    ExitKind Run(ReadOnlySpan<MachineEvent> program);
}

/// <summary>Watches executions: reset before, read the machine after.</summary>
public interface IObserver
{
    void PreExec(Machine machine);

    void PostExec(Machine machine);
}

/// <summary>Decides whether an execution adds something to the corpus (new coverage); keeps the history.</summary>
public interface IFeedback
{
    /// <summary>Whether the last execution is interesting; does not change the history.</summary>
    bool IsInteresting();

    /// <summary>Adds the last execution to the history (call after <see cref="IsInteresting"/> said yes).</summary>
    int Commit();
}

/// <summary>Decides whether an execution is a bug (what gets minimized and reported).</summary>
public interface IObjective
{
    /// <summary>Whether <paramref name="violation"/> counts in this campaign.</summary>
    bool Selects(in Violation violation);
}

/// <summary>Changes a program in place. Returns false when it could not apply (the caller tries another).</summary>
public interface IMutator
{
    /// <summary>A short name (statistics, tests).</summary>
    string Name { get; }

    bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context);
}

/// <summary>Picks the corpus entry to mutate next.</summary>
public interface IScheduler
{
    int Next(ICorpus corpus, ref Prng rng);

    void OnAdded(ICorpus corpus, int index);
}

/// <summary>The inputs kept because they added coverage.</summary>
public interface ICorpus
{
    int Count { get; }

    CorpusEntry this[int index] { get; }

    int Add(CorpusEntry entry);
}

/// <summary>One step of a fuzzing iteration (mutational havoc; others may come).</summary>
public interface IStage
{
    /// <summary>Performs up to <paramref name="budget"/> executions; returns how many it performed.</summary>
    int Perform(FuzzSession session, int budget);
}

/// <summary>What the engine tells its host. Called on the fuzzing thread; implementations must be quick.</summary>
public interface IEngineListener
{
    void OnFinding(Finding finding);

    void OnCorpusAdded(CorpusEntry entry);

    /// <summary>
    /// A new signature is about to be minimized and replay-gated; <see cref="OnFinding"/> or
    /// <see cref="OnReplayDropped"/> follows on the same thread. (The engine has no clock: a host that wants the
    /// minimization time measures between the two.)
    /// </summary>
    void OnMinimizing(in Signature signature)
    {
    }

    /// <summary>The minimized reproducer of <paramref name="signature"/> did not replay to the same violation.</summary>
    void OnReplayDropped(in Signature signature)
    {
    }
}
