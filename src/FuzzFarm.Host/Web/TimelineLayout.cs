using FuzzFarm.Engine;
using FuzzFarm.Model;

namespace FuzzFarm.Host.Web;

/// <summary>
/// Where things go in the timeline picture. One column per trace event plus one for the final drain; within a
/// column, the drawn entries keep their order left to right (one slot each), so a violation sits between the
/// primitives it happened between. One lane per CPU of the machine.
/// </summary>
public sealed class TimelineLayout
{
    public const double LabelWidth = 112;
    public const double PhaseBandTop = 8;
    public const double PhaseBandHeight = 22;
    public const double LanesTop = 40;
    public const double LaneHeight = 40;
    public const double AxisHeight = 26;
    public const double Slot = 16;
    public const double ColumnPadding = 10;
    public const double ColumnMinWidth = 56;
    public const double RightMargin = 12;
    public const double LegendHeight = 72;

    /// <summary>Short traces are stretched to this width so the legend and labels fit.</summary>
    public const double MinWidth = 1120;

    private readonly double[] _columnLeft;
    private readonly double[] _entryX;

    public TimelineLayout(IReadOnlyList<TimelineEntry> entries, int cpus, int events)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Cpus = Math.Max(1, cpus);
        Events = Math.Max(0, events);
        Columns = Events + 1;
        _entryX = new double[entries.Count];
        Array.Fill(_entryX, double.NaN);

        // Slots per column: only the entries that are drawn on a lane take room.
        var perColumn = new List<int>[Columns];
        for (var c = 0; c < Columns; c++) perColumn[c] = [];
        for (var i = 0; i < entries.Count; i++)
        {
            if (IsDrawn(entries[i])) perColumn[Column(entries[i].Event)].Add(i);
        }

        var widths = perColumn.Select(p => Math.Max(ColumnMinWidth, 2 * ColumnPadding + p.Count * Slot)).ToArray();
        var stretch = Math.Max(1, (MinWidth - LabelWidth - RightMargin) / widths.Sum());
        _columnLeft = new double[Columns + 1];
        var x = LabelWidth;
        for (var c = 0; c < Columns; c++)
        {
            _columnLeft[c] = x;
            var n = perColumn[c].Count;
            var width = widths[c] * stretch;
            var first = x + (width - n * Slot) / 2 + Slot / 2;
            for (var k = 0; k < n; k++) _entryX[perColumn[c][k]] = first + k * Slot;
            x += width;
        }

        _columnLeft[Columns] = x;
    }

    /// <summary>Lanes (the machine's CPU count).</summary>
    public int Cpus { get; }

    /// <summary>Trace events; column <see cref="Events"/> is the final drain.</summary>
    public int Events { get; }

    public int Columns { get; }

    public double Width => _columnLeft[Columns] + RightMargin;

    public double Height => LanesTop + Cpus * LaneHeight + AxisHeight + LegendHeight;

    /// <summary>The right end of the last column (the drain).</summary>
    public double Right => _columnLeft[Columns];

    public double ColumnLeft(int column) => _columnLeft[Column(column)];

    public double ColumnRight(int column) => _columnLeft[Column(column) + 1];

    public double LaneTop(int cpu) => LanesTop + Lane(cpu) * LaneHeight;

    public double LaneCenter(int cpu) => LaneTop(cpu) + LaneHeight / 2;

    public double LaneBottom(int cpu) => LaneTop(cpu) + LaneHeight;

    /// <summary>The x of entry <paramref name="index"/> of the timeline (NaN for an entry that is not drawn on a lane).</summary>
    public double X(int index) => _entryX[index];

    /// <summary>Whether an entry gets a marker (and a slot) on its lane.</summary>
    public static bool IsDrawn(TimelineEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Kind switch
        {
            TimelineKind.Event or TimelineKind.Violation => true,
            TimelineKind.Primitive => IsSplit(entry.Point) || IsBringUp(entry.Point),
            _ => false,
        };
    }

    public static bool IsSplit(Point? point) =>
        point is Point.SplitPud or Point.SplitContPmd or Point.SplitPmd or Point.SplitContPte or Point.RangeSplitToPtes;

    /// <summary>A secondary CPU's own bring-up and tear-down steps (the ends of its MMU-on window).</summary>
    public static bool IsBringUp(Point? point) =>
        point is Point.SecondaryMmuOn or Point.SetCpuOnline or Point.CpuDieEarly or Point.SetCpuOffline or Point.CpuMmuOff;

    private int Column(int eventIndex) => Math.Clamp(eventIndex, 0, Columns - 1);

    private int Lane(int cpu) => Math.Clamp(cpu, 0, Cpus - 1);
}
