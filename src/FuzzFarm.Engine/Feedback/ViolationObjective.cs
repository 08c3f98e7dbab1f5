using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// A violation is a bug when the environment reports it (strict: only violations that needed no assumption)
/// and its invariant is selected (all by default).
/// </summary>
public sealed class ViolationObjective : IObjective
{
    private readonly uint _invariants;

    public ViolationObjective(EnvMode env, IEnumerable<Invariant>? invariants = null, string? detailContains = null)
    {
        Env = env;
        DetailContains = string.IsNullOrEmpty(detailContains) ? null : detailContains;
        _invariants = 0;
        foreach (var i in invariants ?? Invariants.All) _invariants |= 1u << (int)i;
    }

    public EnvMode Env { get; }

    /// <summary>
    /// When set, only violations whose oracle detail contains this text count (for example "in bring-up": the
    /// boot bring-up window of Z3, as opposed to a hot-plug or an online CPU; the benchmark's target).
    /// </summary>
    public string? DetailContains { get; }

    public bool Selects(Invariant invariant) => (_invariants & (1u << (int)invariant)) != 0;

    public bool Selects(in Violation violation) =>
        violation.ReportedIn(Env) && Selects(violation.Invariant)
        && (DetailContains is null || violation.Detail.Contains(DetailContains, StringComparison.Ordinal));

    /// <summary>
    /// The root cause of the machine's last run: its first selected violation (later ones are its consequences or
    /// wait for a run of their own). False when there is none.
    /// </summary>
    public bool TryRoot(Machine machine, out Violation root)
    {
        ArgumentNullException.ThrowIfNull(machine);
        foreach (ref readonly var v in machine.Violations)
        {
            if (Selects(v))
            {
                root = v;
                return true;
            }
        }

        root = default;
        return false;
    }

    /// <summary>True when the machine's last run has a selected violation.</summary>
    public bool AnyIn(Machine machine)
    {
        foreach (ref readonly var v in machine.Violations)
        {
            if (Selects(v)) return true;
        }

        return false;
    }
}
