using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>A prefix of this program followed by a suffix of another corpus program (its labels shifted apart).</summary>
public sealed class Splice : IMutator
{
    private readonly MachineEvent[] _tail = new MachineEvent[ProgramBuffer.Capacity];

    public string Name => "splice";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        var corpus = context.Corpus;
        if (corpus.Count < 2) return false;
        var other = corpus[rng.Below(corpus.Count)].Events;
        if (other.Length == 0) return false;
        var cut = rng.Below(program.Count + 1);
        var from = rng.Below(other.Length);
        var n = Math.Min(other.Length - from, ProgramBuffer.Capacity);
        for (var i = 0; i < n; i++)
        {
            var ev = other[from + i];
            // Labels of the other program live in 128..254 so that they do not mix with this one's until repair.
            if (ev.Task != 0) ev = ev with { Task = (byte)(128 + (ev.Task % 127)) };
            _tail[i] = ev;
        }

        program.Concat(program.Events[..cut], _tail.AsSpan(0, n));
        return true;
    }
}
