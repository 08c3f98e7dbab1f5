namespace FuzzFarm.Model;

/// <summary>Read-only questions the checkers ask of the linear map (RAM offsets, half-open ranges).</summary>
internal static class MapQueries
{
    public static bool AllPte(LinearMap map, ulong s, ulong e)
    {
        for (var i = Math.Max(map.Find(s), 0); i < map.Count && map[i].Start < e; i++)
        {
            if (map[i].Level != Level.Pte || map[i].Cont) return false;
        }

        return true;
    }

    public static bool AnyValid(LinearMap map, ulong s, ulong e)
    {
        for (var i = Math.Max(map.Find(s), 0); i < map.Count && map[i].Start < e; i++)
        {
            if ((map[i].Attrs & Attr.Valid) != 0) return true;
        }

        return false;
    }

    public static bool AnyBlockOutsideAlias(Kernel k, ulong s, ulong e)
    {
        var map = k.Map;
        var ks = k.Config.KaliasOffset;
        var ke = ks + k.Config.KaliasSize;
        for (var i = Math.Max(map.Find(s), 0); i < map.Count && map[i].Start < e; i++)
        {
            ref readonly var r = ref map[i];
            if ((r.Level != Level.Pte || r.Cont) && (r.Start < ks || r.End > ke)) return true;
        }

        return false;
    }

    public static bool Overlaps(ulong s, ulong e, ulong b, ulong size) => s < b + size && b < e;
}
