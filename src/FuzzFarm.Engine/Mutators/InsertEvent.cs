using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>Inserts a random event (call, step, run, cpu-up/down, phase) at a random position.</summary>
public sealed class InsertEvent : IMutator
{
    public string Name => "insert";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        if (program.Count >= program.Limit) return false;
        var at = rng.Below(program.Count + 1);
        return program.Insert(at, EventGen.Any(ref rng, context, program, at));
    }
}
