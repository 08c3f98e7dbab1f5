using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>Whether one program breaks one invariant on one variant, and where.</summary>
public sealed record MatrixCell(string Variant, bool Reproduces, Point Where, string? Detail, Assumptions Assumptions);

/// <summary>One finding replayed on every variant: where it reproduces, where it was introduced and fixed.</summary>
public sealed record MatrixRow(Invariant Invariant, IReadOnlyList<MatrixCell> Cells)
{
    /// <summary>The first variant (in history order) that shows it.</summary>
    public string? IntroducedIn => Cells.FirstOrDefault(c => c.Reproduces)?.Variant;

    /// <summary>The first variant after <see cref="IntroducedIn"/> that no longer shows it.</summary>
    public string? FixedIn => Cells.SkipWhile(c => !c.Reproduces).FirstOrDefault(c => !c.Reproduces)?.Variant;

    public bool ReproducesOn(string variant) => Cells.Any(c => c.Variant == variant && c.Reproduces);
}

/// <summary>Replays programs on every variant (the "introduced in / fixed in" table of a finding).</summary>
public static class VariantMatrix
{
    /// <summary>
    /// Runs <paramref name="events"/> on each variant and reports, per variant, whether the run's root cause (its
    /// first violation <paramref name="objective"/> selects) is <paramref name="signature"/>, with the assumptions
    /// that run needed (the weakest environment this reproducer shows it in on that version).
    /// </summary>
    public static MatrixRow Row(MachineConfig machine, ReadOnlySpan<MachineEvent> events, Signature signature, ViolationObjective objective,
        IReadOnlyList<SplitVariant> variants)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(variants);
        var cells = new List<MatrixCell>(variants.Count);
        foreach (var variant in variants)
        {
            var m = new Machine(machine, variant);
            m.Run(events);
            cells.Add(objective.TryRoot(m, out var root) && signature.Matches(root)
                ? new MatrixCell(variant.Id, true, root.Where, root.Detail, root.Assumptions)
                : new MatrixCell(variant.Id, false, Point.None, null, Assumptions.None));
        }

        return new MatrixRow(signature.Invariant, cells);
    }

    /// <summary>
    /// Runs <paramref name="events"/> on <paramref name="machine"/> with each variant (in the given order, which
    /// should be history order) and reports, per variant, whether <paramref name="invariant"/> breaks in
    /// <paramref name="env"/>.
    /// </summary>
    public static MatrixRow Row(MachineConfig machine, ReadOnlySpan<MachineEvent> events, Invariant invariant, EnvMode env,
        IReadOnlyList<SplitVariant> variants)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(variants);
        var cells = new List<MatrixCell>(variants.Count);
        foreach (var variant in variants)
        {
            var m = new Machine(machine, variant);
            m.Run(events);
            MatrixCell? cell = null;
            foreach (ref readonly var v in m.Violations)
            {
                if (v.Invariant == invariant && v.ReportedIn(env))
                {
                    cell = new MatrixCell(variant.Id, true, v.Where, v.Detail, v.Assumptions);
                    break;
                }
            }

            cells.Add(cell ?? new MatrixCell(variant.Id, false, Point.None, null, Assumptions.None));
        }

        return new MatrixRow(invariant, cells);
    }
}
