using System.Globalization;
using System.Text.Json;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>What one step of a replay split: the boot before the first event, an event (a call or a resumed run), or the final drain.</summary>
public readonly record struct FragmentationStep(int Event, Fragmentation Delta)
{
    public const int Boot = -1;
    public const int Drain = int.MaxValue;
}

/// <summary>The one JSON and text form of <see cref="Fragmentation"/> (replay output and finding files).</summary>
public static class FragmentationJson
{
    /// <summary>Writes <c>"fragmentation": { … }</c> as a property of the current object.</summary>
    public static void Write(Utf8JsonWriter w, in Fragmentation f)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject("fragmentation");
        Fields(w, f);
        w.WriteEndObject();
    }

    private static void Fields(Utf8JsonWriter w, in Fragmentation f)
    {
        w.WriteStartObject("leaves_created");
        for (var i = 0; i < Fragmentation.LevelNames.Count; i++) w.WriteNumber(Fragmentation.LevelNames[i], f.LeavesAt(i));
        w.WriteEndObject();
        w.WriteNumber("table_pages", f.TablePages);
        w.WriteNumber("cont_groups_broken", f.ContGroupsBroken);
        w.WriteNumber("block_bytes_lost", f.BlockBytesLost);
    }

    /// <summary>Writes <c>"fragmentation_by_event": [ { "event": N|"boot"|"drain", … } ]</c>.</summary>
    public static void WriteSteps(Utf8JsonWriter w, IReadOnlyList<FragmentationStep> steps)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(steps);
        w.WriteStartArray("fragmentation_by_event");
        foreach (var s in steps)
        {
            w.WriteStartObject();
            if (s.Event == FragmentationStep.Boot) w.WriteString("event", "boot");
            else if (s.Event == FragmentationStep.Drain) w.WriteString("event", "drain");
            else w.WriteNumber("event", s.Event);
            Fields(w, s.Delta);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>A step's name in text: "boot", "event N", "drain".</summary>
    public static string StepName(in FragmentationStep s) => s.Event switch
    {
        FragmentationStep.Boot => "boot",
        FragmentationStep.Drain => "drain",
        _ => string.Create(CultureInfo.InvariantCulture, $"event {s.Event}"),
    };

    /// <summary>One line: leaves by level, table pages, CONT groups broken, block bytes lost.</summary>
    public static string Text(in Fragmentation f) => string.Create(CultureInfo.InvariantCulture,
        $"leaves created {f.PmdLeaves} pmd, {f.ContPmdLeaves} cont-pmd, {f.PteLeaves} pte, {f.ContPteLeaves} cont-pte; " +
        $"{f.TablePages} table pages; {f.ContGroupsBroken} CONT groups broken; {Bytes(f.BlockBytesLost)} block-mapped at boot now page-mapped");

    private static string Bytes(long b) => b switch
    {
        >= 1L << 30 when b % (1L << 30) == 0 => string.Create(CultureInfo.InvariantCulture, $"{b >> 30} GiB"),
        >= 1L << 20 when b % (1L << 20) == 0 => string.Create(CultureInfo.InvariantCulture, $"{b >> 20} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{b} bytes"),
    };
}
