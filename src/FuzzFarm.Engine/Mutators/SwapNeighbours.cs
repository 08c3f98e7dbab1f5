using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>Swaps two neighbouring events (reorders an interleaving).</summary>
public sealed class SwapNeighbours : IMutator
{
    public string Name => "swap";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        if (program.Count < 2) return false;
        var at = rng.Below(program.Count - 1);
        (program[at], program[at + 1]) = (program[at + 1], program[at]);
        return true;
    }
}
