using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>One variant's run of a trace: what the oracle saw, and the timeline of how.</summary>
public sealed record VariantReplay(
    SplitVariant Variant,
    EnvMode Env,
    IReadOnlyList<Violation> Violations,
    IReadOnlyList<TimelineEntry> Timeline,
    RunSummary Summary,
    long TablePages,
    long LiveResizes)
{
    public IEnumerable<Violation> Reported => Violations.Where(v => v.ReportedIn(Env));

    public IEnumerable<Violation> Masked => Violations.Where(v => !v.ReportedIn(Env));

    public bool HasViolation => Reported.Any();

    public string Verdict => HasViolation ? "violation" : "clean";

    /// <summary>The live guard reads of this run by answer (null when not counted).</summary>
    public GuardCoverage? Guards { get; init; }

    /// <summary>What the run's splits cost the linear map (§9).</summary>
    public Fragmentation Fragmentation { get; init; }

    /// <summary>The part of <see cref="Fragmentation"/> each event split (the boot and the final drain apart), non-zero ones only.</summary>
    public IReadOnlyList<FragmentationStep> FragmentationByEvent { get; init; } = [];
}

/// <summary>Runs a trace on one variant with a timeline recorder (for reports and pictures; allocates).</summary>
public static class Replayer
{
    public static VariantReplay Replay(EventProgram program, SplitVariant variant, EnvMode env)
    {
        var machine = new Machine(program.Machine, variant);
        var recorder = new TimelineRecorder(program.Machine);
        machine.Kernel.Observer = recorder;
        var guards = machine.Kernel.GuardCoverage = new GuardCoverage();
        var summary = machine.Run(program.Events.AsSpan());
        return new VariantReplay(
            variant, env, machine.Violations.ToArray(), recorder.Entries, summary,
            machine.Kernel.TablePagesAllocated, machine.Kernel.LiveResizes) { Guards = guards, Fragmentation = machine.Kernel.Fragmentation };
    }
}
