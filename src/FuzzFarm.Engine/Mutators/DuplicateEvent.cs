using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>Copies an event next to itself or a little later (a copied start becomes a new task on repair).</summary>
public sealed class DuplicateEvent : IMutator
{
    public string Name => "duplicate";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        if (program.Count == 0 || program.Count >= program.Limit) return false;
        var from = rng.Below(program.Count);
        var to = Math.Min(program.Count, from + 1 + rng.Below(3));
        var ev = program[from];
        return program.Insert(to, ev);
    }
}
