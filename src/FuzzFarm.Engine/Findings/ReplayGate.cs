using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// A finding is kept only if its trace text parses back and, run on a fresh machine, shows the same signature
/// (CY's auto-replay; reliability must be 1.0). The text round trip is part of the check: what is written to
/// disk is what was confirmed.
/// </summary>
public static class ReplayGate
{
    /// <summary>True when the written trace of <paramref name="program"/> reproduces <paramref name="signature"/>.</summary>
    public static bool Confirms(EventProgram program, SplitVariant variant, in Signature signature, EnvMode env, out Violation violation) =>
        Confirms(program, variant, signature, new ViolationObjective(env), out violation, out _);

    /// <summary>
    /// True when the written trace of <paramref name="program"/> has <paramref name="signature"/> as its root cause
    /// (its first violation <paramref name="objective"/> selects); <paramref name="callers"/> are the kernel callers
    /// the replay made calls of.
    /// </summary>
    public static bool Confirms(EventProgram program, SplitVariant variant, in Signature signature, ViolationObjective objective,
        out Violation violation, out IReadOnlyList<KernelCaller> callers)
    {
        ArgumentNullException.ThrowIfNull(objective);
        callers = [];
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(variant);
        violation = default;
        EventProgram parsed;
        try
        {
            parsed = TraceParser.Parse(TraceWriter.Write(program), "finding");
        }
        catch (Exception e) when (e is TraceFormatException or ArgumentException)
        {
            return false;
        }

        var machine = new Machine(parsed.Machine, variant);
        machine.Run(parsed.Events.AsSpan());
        if (!objective.TryRoot(machine, out var root) || !signature.Matches(root)) return false;
        violation = root;
        callers = [.. CallerCatalog.Of(machine.Kernel.CallersUsed)];
        return true;
    }
}
