using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Half the time one of the newest entries (what just opened new coverage is mutated most), otherwise any
/// entry, preferring ones picked less often (two draws, keep the less picked).
/// </summary>
public sealed class RecencyScheduler : IScheduler
{
    private const int Recent = 16;

    public int Next(ICorpus corpus, ref Prng rng)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var n = corpus.Count;
        int pick;
        if (rng.Chance(1, 2)) pick = n - 1 - rng.Below(Math.Min(n, Recent));
        else
        {
            var a = rng.Below(n);
            var b = rng.Below(n);
            pick = corpus[a].Picked <= corpus[b].Picked ? a : b;
        }

        corpus[pick].Picked++;
        return pick;
    }

    public void OnAdded(ICorpus corpus, int index)
    {
    }
}
