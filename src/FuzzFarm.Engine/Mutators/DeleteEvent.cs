using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>Deletes one event, or a short run of them.</summary>
public sealed class DeleteEvent : IMutator
{
    public string Name => "delete";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        if (program.Count == 0) return false;
        var at = rng.Below(program.Count);
        program.RemoveRange(at, rng.Chance(3, 4) ? 1 : rng.Between(2, 4));
        return true;
    }
}
