namespace FuzzFarm.Model;

/// <summary>map_mem()'s choice of leaf sizes: the largest the alignment allows, unless blocks or CONT are forbidden.</summary>
internal static class LayoutBuilder
{
    public static void MapRange(LinearMap map, ulong s, ulong e, bool noBlock, bool noCont, Attr attrs)
    {
        var a = s;
        while (a < e)
        {
            if (!noBlock && Units.IsAligned(a, Units.PUD_SIZE) && a + Units.PUD_SIZE <= e)
            {
                var n = (e - a) / Units.PUD_SIZE;
                map.Append(a, a + (n * Units.PUD_SIZE), Level.Pud, false, attrs);
                a += n * Units.PUD_SIZE;
            }
            else if (!noBlock && Units.IsAligned(a, Units.PMD_SIZE) && a + Units.PMD_SIZE <= e)
            {
                var limit = Math.Min(Units.AlignDown(e, Units.PMD_SIZE), Units.AlignUp(a + 1, Units.PUD_SIZE));
                a = MapLevel(map, a, limit, Level.Pmd, noCont, attrs);
            }
            else
            {
                var limit = Math.Min(e, Units.AlignUp(a + 1, Units.PMD_SIZE));
                a = MapLevel(map, a, limit, Level.Pte, noCont, attrs);
            }
        }
    }

    private static ulong MapLevel(LinearMap map, ulong a, ulong limit, Level level, bool noCont, Attr attrs)
    {
        var leaf = Units.LeafSize(level);
        var group = Units.ContSize(level);
        while (a < limit)
        {
            if (!noCont && Units.IsAligned(a, group) && a + group <= limit)
            {
                var n = (limit - a) / group;
                map.Append(a, a + (n * group), level, true, attrs);
                a += n * group;
            }
            else
            {
                var next = noCont ? limit : Math.Min(limit, Units.AlignUp(a + 1, group));
                map.Append(a, next, level, false, attrs);
                a = next;
            }
        }

        return a;
    }
}
