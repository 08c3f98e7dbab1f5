using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Shrinks a failing program to a 1-minimal one with the same root cause (its first violation), needing no more
/// environment assumptions than before: delta debugging on events (chunks, then single events), then argument
/// simplification (no stop, task context, one page, CPU 0, no enable flag), then moves of single events that need
/// fewer assumptions (a call made before or after a bring-up rather than during it), then events again. Assumptions
/// are minimized like events: a candidate is kept only when it needs a subset of what the current one needs. Every candidate goes through <see cref="ProgramBuffer.Repair(MachineConfig)"/>, so the
/// result is valid and its task labels are numbered in order.
/// </summary>
public sealed class Minimizer
{
    private readonly Machine _machine;
    private readonly ViolationObjective _objective;
    private readonly ProgramBuffer _candidate = new(EventProgram.MaxEvents);
    private Assumptions _bound;

    public Minimizer(Machine machine, EnvMode env)
        : this(machine, new ViolationObjective(env))
    {
    }

    public Minimizer(Machine machine, ViolationObjective objective)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(objective);
        _machine = machine;
        _objective = objective;
    }

    /// <summary>The assumptions the last <see cref="Minimize"/>'s result needs (its weakest environment).</summary>
    public Assumptions Needs => _bound;

    /// <summary>Programs executed by the last <see cref="Minimize"/>.</summary>
    public int Tests { get; private set; }

    /// <summary>Whether <paramref name="events"/> has <paramref name="signature"/> as its root cause in this environment.</summary>
    public bool Reproduces(ReadOnlySpan<MachineEvent> events, in Signature signature) => Reproduces(events, signature, out _);

    private bool Reproduces(ReadOnlySpan<MachineEvent> events, in Signature signature, out Assumptions needs)
    {
        Tests++;
        _machine.Run(events);
        needs = Assumptions.None;
        if (!_objective.TryRoot(_machine, out var root) || !signature.Matches(root)) return false;
        needs = root.Assumptions;
        return true;
    }

    /// <summary>Reproduces with no assumption beyond the current result's; the bound tightens to what it needs.</summary>
    private bool Keeps(ReadOnlySpan<MachineEvent> events, in Signature signature, bool fewerOnly = false)
    {
        if (Cancel.IsCancellationRequested)
        {
            Interrupted = true;
            return false;
        }

        if (!Reproduces(events, signature, out var needs) || (needs & ~_bound) != 0) return false;
        if (fewerOnly && needs == _bound) return false;
        _bound = needs;
        return true;
    }

    /// <summary>Stops the minimization (a signal): no further reduction is tried, the smallest program so far is returned.</summary>
    public CancellationToken Cancel { get; set; }

    /// <summary>Whether the last <see cref="Minimize"/> was cut short by <see cref="Cancel"/>.</summary>
    public bool Interrupted { get; private set; }

    /// <summary>The minimized program; the input itself (repaired) when it does not reproduce.</summary>
    public MachineEvent[] Minimize(ReadOnlySpan<MachineEvent> events, Signature signature)
    {
        Tests = 0;
        Interrupted = false;
        _candidate.Load(events);
        _candidate.Repair(_machine.Config);
        var current = _candidate.Events.ToArray();
        if (!Reproduces(current, signature, out _bound)) return current;

        for (var round = 0; round < 4 && !Cancel.IsCancellationRequested; round++)
        {
            current = DeltaDebug(current, signature);
            current = OneMinimal(current, signature);
            var simpler = Simplify(ref current, signature);
            if (!Move(ref current, signature) && !simpler) break;
        }

        return current;
    }

    /// <summary>Zeller's ddmin over complements: remove one of n chunks while the bug stays.</summary>
    private MachineEvent[] DeltaDebug(MachineEvent[] current, in Signature signature)
    {
        var n = 2;
        while (current.Length >= 2)
        {
            var chunk = (current.Length + n - 1) / n;
            var reduced = false;
            for (var start = 0; start < current.Length; start += chunk)
            {
                var candidate = Without(current, start, chunk);
                if (candidate.Length < current.Length && Keeps(candidate, signature))
                {
                    current = candidate;
                    n = Math.Max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }

            if (reduced) continue;
            if (n >= current.Length) break;
            n = Math.Min(n * 2, current.Length);
        }

        return current;
    }

    /// <summary>Removes single events until no single removal keeps the bug (1-minimality).</summary>
    private MachineEvent[] OneMinimal(MachineEvent[] current, in Signature signature)
    {
        for (var i = current.Length - 1; i >= 0; i--)
        {
            if (i >= current.Length) continue;
            var candidate = Without(current, i, 1);
            if (candidate.Length < current.Length && Keeps(candidate, signature))
            {
                current = candidate;
                i = current.Length; // start over from the end
            }
        }

        return current;
    }

    /// <summary>Simplifies arguments one at a time; true when anything changed.</summary>
    private bool Simplify(ref MachineEvent[] current, in Signature signature)
    {
        var changed = false;
        for (var i = 0; i < current.Length; i++)
        {
            var ev = current[i];
            Span<MachineEvent> simpler =
            [
                ev with { Stop = StopSpec.None },
                ev with { Context = CallContext.Task },
                ev with { Pages = ev.Kind == EventKind.Call && TraceNames.TakesRange(ev.Op) ? (ushort)1 : ev.Pages },
                ev with { Cpu = ev.Kind == EventKind.Call ? (byte)0 : ev.Cpu },
                ev with { Enable = false },
            ];
            foreach (var s in simpler)
            {
                if (s == current[i]) continue;
                var candidate = (MachineEvent[])current.Clone();
                candidate[i] = s;
                candidate = Repaired(candidate);
                if (candidate.Length == current.Length && Keeps(candidate, signature))
                {
                    current = candidate;
                    changed = true;
                }
            }
        }

        return changed;
    }

    /// <summary>Moves single events one place earlier or later when the program then needs fewer assumptions.</summary>
    private bool Move(ref MachineEvent[] current, in Signature signature)
    {
        var changed = false;
        for (var i = 0; i + 1 < current.Length; i++)
        {
            var candidate = (MachineEvent[])current.Clone();
            (candidate[i], candidate[i + 1]) = (candidate[i + 1], candidate[i]);
            candidate = Repaired(candidate);
            if (candidate.Length == current.Length && Keeps(candidate, signature, fewerOnly: true))
            {
                current = candidate;
                changed = true;
            }
        }

        return changed;
    }

    private MachineEvent[] Without(MachineEvent[] events, int start, int count)
    {
        _candidate.Load(events);
        _candidate.RemoveRange(start, count);
        _candidate.Repair(_machine.Config);
        return _candidate.Events.ToArray();
    }

    private MachineEvent[] Repaired(MachineEvent[] events)
    {
        _candidate.Load(events);
        _candidate.Repair(_machine.Config);
        return _candidate.Events.ToArray();
    }
}
