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
    public static bool Confirms(EventProgram program, SplitVariant variant, in Signature signature, EnvMode env, out Violation violation)
    {
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
        foreach (ref readonly var v in machine.Violations)
        {
            if (v.ReportedIn(env) && signature.Matches(v))
            {
                violation = v;
                return true;
            }
        }

        return false;
    }
}
