namespace FuzzFarm.Model;

/// <summary>
/// One broken invariant, recorded where it happened.
/// </summary>
/// <param name="Invariant">Which invariant.</param>
/// <param name="EventIndex">Index of the event during which it happened; the program length means the final drain.</param>
/// <param name="Where">The primitive (guard or step) that was executing.</param>
/// <param name="Detail">The guard that fired or what was found (a constant string: part of the signature).</param>
/// <param name="TaskLabel">The task that was running (0: the kernel itself at a boot phase).</param>
/// <param name="Cpu">The CPU concerned.</param>
/// <param name="Assumptions">Environment assumptions the program had needed up to that point.</param>
/// <param name="Window">
/// The window of the root cause: the machine as the causing call's guards saw it when it started (bits 0–5), as it
/// was when the invariant broke (bits 6–11), and whether the call ran in atomic context (bit 12). See
/// <c>Kernel.WindowNow</c>.
/// </param>
/// <param name="Guard">
/// The end of the causing call's guard path: the last gating guard it read and its answer (point &lt;&lt; 1 | value; 0:
/// none, or the kernel itself).
/// </param>
public readonly record struct Violation(
    Invariant Invariant,
    int EventIndex,
    Point Where,
    string Detail,
    byte TaskLabel,
    byte Cpu,
    Assumptions Assumptions,
    ushort Window = 0,
    ushort Guard = 0)
{
    public string Id => Invariants.Id(Invariant);

    public string Title => Invariants.Title(Invariant);

    /// <summary>Whether a run in <paramref name="env"/> reports this violation.</summary>
    public bool ReportedIn(EnvMode env) => env == EnvMode.Adversarial || Assumptions == Assumptions.None;
}

/// <summary>Hooks for a readable timeline of a run. Implementations may allocate; the hot path passes none.</summary>
public interface IKernelObserver
{
    void OnEvent(int index, in MachineEvent e);

    void OnPhase(int eventIndex, BootPhase phase);

    void OnPrimitive(int eventIndex, byte task, byte cpu, Point point, long value);

    void OnTaskDone(int eventIndex, byte task, byte cpu, int result);

    void OnNote(int eventIndex, byte cpu, string text);

    void OnViolation(in Violation violation);

    void OnDrain(int eventIndex);
}
