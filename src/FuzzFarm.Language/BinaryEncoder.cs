using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>
/// Writes a program's events in the decoder's literal form, so that traces (findings, hand-written cases) can
/// seed a byte-level fuzzer: <c>BinaryDecoder.Decode(Encode(p), p.Machine)</c> has the same events as
/// <c>p</c>. The machine, variant, env and seed are not encoded (the decoder takes the machine separately), so
/// the decoded program equals <c>p</c> exactly when those three header fields are null.
/// </summary>
/// <remarks>
/// Literal layout, after the opcode <see cref="BinaryDecoder.LiteralOpcode"/> and a kind byte (EventKind):
/// phase: phase; cpu-up/cpu-down: task cpu stop; call: task cpu op flags page(u32 LE) pages(u16 LE) stop;
/// step: task stop; run: task. flags bit 0 is the atomic context, bit 1 enable; stop is a StopKind byte then
/// the point (at-point) or the count (after-count).
/// </remarks>
public static class BinaryEncoder
{
    /// <summary>Encodes every event as a literal.</summary>
    /// <exception cref="ArgumentException">The program is invalid or has more than <see cref="BinaryDecoder.MaxEvents"/> events.</exception>
    public static byte[] Encode(EventProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var problem = program.Validate();
        if (problem is not null) throw new ArgumentException($"cannot encode an invalid program: {problem}", nameof(program));
        if (program.Events.Length > BinaryDecoder.MaxEvents)
            throw new ArgumentException(
                $"cannot encode {program.Events.Length} events: the decoder reads at most {BinaryDecoder.MaxEvents}",
                nameof(program));

        var bytes = new byte[MaxLiteralLength * program.Events.Length];
        var n = EncodeInto(program.Events.AsSpan(), bytes);
        return bytes[..n];
    }

    /// <summary>Longest literal event in bytes (a call).</summary>
    public const int MaxLiteralLength = 14;

    /// <summary>
    /// Encodes events as literals into <paramref name="destination"/> without allocating and returns the bytes
    /// written; stops before an event that does not fit. The events are not validated here.
    /// </summary>
    public static int EncodeInto(ReadOnlySpan<MachineEvent> events, Span<byte> destination)
    {
        var n = 0;
        foreach (ref readonly var ev in events)
        {
            var len = LiteralLength(ev.Kind);
            if (n + len > destination.Length) break;
            var d = destination[n..];
            d[0] = BinaryDecoder.LiteralOpcode;
            d[1] = (byte)ev.Kind;
            switch (ev.Kind)
            {
                case EventKind.Phase:
                    d[2] = (byte)ev.Phase;
                    break;
                case EventKind.CpuUp or EventKind.CpuDown:
                    d[2] = ev.Task;
                    d[3] = ev.Cpu;
                    WriteStop(d[4..], ev.Stop);
                    break;
                case EventKind.Call:
                    d[2] = ev.Task;
                    d[3] = ev.Cpu;
                    d[4] = (byte)ev.Op;
                    d[5] = (byte)((ev.Context == CallContext.Atomic ? 1 : 0) | (ev.Enable ? 2 : 0));
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(d[6..], ev.Page);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(d[10..], ev.Pages);
                    WriteStop(d[12..], ev.Stop);
                    break;
                case EventKind.Step:
                    d[2] = ev.Task;
                    WriteStop(d[3..], ev.Stop);
                    break;
                default:
                    d[2] = ev.Task;
                    break;
            }

            n += len;
        }

        return n;
    }

    /// <summary>Bytes of one literal event of <paramref name="kind"/>, opcode included.</summary>
    public static int LiteralLength(EventKind kind) => kind switch
    {
        EventKind.Phase => 3,
        EventKind.CpuUp or EventKind.CpuDown => 6,
        EventKind.Call => MaxLiteralLength,
        EventKind.Step => 5,
        _ => 3,
    };

    /// <summary>The offset of literal event <paramref name="index"/> in an all-literal encoding (its length past the end).</summary>
    public static int LiteralOffset(ReadOnlySpan<byte> literals, int index)
    {
        var at = 0;
        for (var i = 0; i < index && at + 1 < literals.Length && literals[at] == BinaryDecoder.LiteralOpcode; i++)
            at += LiteralLength((EventKind)literals[at + 1]);
        return Math.Min(at, literals.Length);
    }

    private static void WriteStop(Span<byte> d, StopSpec stop)
    {
        d[0] = (byte)stop.Kind;
        d[1] = stop.Kind == StopKind.AtPoint ? (byte)stop.At : stop.Count;
    }
}
