using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// A confirmed bug: its signature, the minimized program that reproduces it (a replayable trace with variant,
/// env and seed in its header), the violation as the replay saw it, and where in the campaign it was found.
/// </summary>
public sealed record Finding(
    Signature Signature,
    EventProgram Program,
    Violation Violation,
    long FoundAtExecution,
    int OriginalEvents)
{
    public string Title => Signature.Title;

    /// <summary>The kernel callers (catalog rows) the reproducer's calls are, on a fresh machine.</summary>
    public IReadOnlyList<KernelCaller> Callers { get; init; } = [];

    /// <summary>The reproducer replayed on every version: where this root cause shows, and with which assumptions.</summary>
    public MatrixRow? Matrix { get; init; }

    /// <summary>The trace text (the file format of tests/corpus).</summary>
    public string TraceText => TraceWriter.Write(Program, Header());

    private string[] Header() =>
    [
        $"finding: {Title}",
        $"signature: {Signature}",
        $"assumptions: {AssumptionNames.Format(Violation.Assumptions)}; minimized from {OriginalEvents} to {Program.Events.Length} events",
        $"callers: {(Callers.Count == 0 ? "none from the catalog" : string.Join(", ", Callers.Select(c => c.Function)))}",
    ];
}
