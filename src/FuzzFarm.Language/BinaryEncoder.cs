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

        var bytes = new List<byte>(program.Events.Length * 16);
        foreach (var ev in program.Events)
        {
            bytes.Add(BinaryDecoder.LiteralOpcode);
            bytes.Add((byte)ev.Kind);
            switch (ev.Kind)
            {
                case EventKind.Phase:
                    bytes.Add((byte)ev.Phase);
                    break;
                case EventKind.CpuUp or EventKind.CpuDown:
                    bytes.AddRange([ev.Task, ev.Cpu]);
                    AddStop(bytes, ev.Stop);
                    break;
                case EventKind.Call:
                    var flags = (byte)((ev.Context == CallContext.Atomic ? 1 : 0) | (ev.Enable ? 2 : 0));
                    bytes.AddRange([ev.Task, ev.Cpu, (byte)ev.Op, flags]);
                    bytes.AddRange([(byte)ev.Page, (byte)(ev.Page >> 8), (byte)(ev.Page >> 16), (byte)(ev.Page >> 24)]);
                    bytes.AddRange([(byte)ev.Pages, (byte)(ev.Pages >> 8)]);
                    AddStop(bytes, ev.Stop);
                    break;
                case EventKind.Step:
                    bytes.Add(ev.Task);
                    AddStop(bytes, ev.Stop);
                    break;
                default:
                    bytes.Add(ev.Task);
                    break;
            }
        }

        return [.. bytes];
    }

    private static void AddStop(List<byte> bytes, StopSpec stop) =>
        bytes.AddRange([(byte)stop.Kind, stop.Kind == StopKind.AtPoint ? (byte)stop.At : stop.Count]);
}
