using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>Moves an event across the nearest boot-phase event (so that a call runs one phase earlier or later).</summary>
public sealed class MovePhase : IMutator
{
    public string Name => "move-phase";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        if (program.Count < 2) return false;
        var at = rng.Below(program.Count);
        var ev = program[at];
        var later = rng.Chance(1, 2);
        var phase = -1;
        if (later)
        {
            for (var i = at + 1; i < program.Count; i++) if (program[i].Kind == EventKind.Phase) { phase = i; break; }
        }
        else
        {
            for (var i = at - 1; i >= 0; i--) if (program[i].Kind == EventKind.Phase) { phase = i; break; }
        }

        if (phase < 0) return false;
        program.RemoveAt(at);
        // Later: just after the phase event (which moved one slot left); earlier: just before it.
        return program.Insert(phase, ev);
    }
}
