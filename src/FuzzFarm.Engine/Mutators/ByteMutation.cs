using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Raw byte mutation through the binary decoder: the program's literal encoding is flipped, overwritten, cut or
/// extended with random bytes (which decode to new events), then decoded back.
/// </summary>
public sealed class ByteMutation : IMutator
{
    private readonly MachineEvent[] _decoded = new MachineEvent[BinaryDecoder.MaxEvents];

    public string Name => "bytes";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        var bytes = context.ByteScratch;
        var n = BinaryEncoder.EncodeInto(program.Events, bytes);
        var rounds = rng.Between(1, 4);
        for (var r = 0; r < rounds; r++)
        {
            switch (rng.Below(5))
            {
                case 0 when n > 0:
                    bytes[rng.Below(n)] ^= (byte)(1 << rng.Below(8));
                    break;
                case 1 when n > 0:
                    bytes[rng.Below(n)] = rng.NextByte();
                    break;
                case 2 when n > 8:
                    var cut = rng.Below(n - 4);
                    var len = rng.Between(1, 4);
                    Array.Copy(bytes, cut + len, bytes, cut, n - cut - len);
                    n -= len;
                    break;
                default:
                    // A random (non-literal) event: 8 bytes are enough for any opcode's operands.
                    if (n + 8 > bytes.Length) break;
                    var at = n == 0 ? 0 : BinaryEncoder.LiteralOffset(bytes.AsSpan(0, n), rng.Below(program.Count + 1));
                    Array.Copy(bytes, at, bytes, at + 8, n - at);
                    for (var i = 0; i < 8; i++) bytes[at + i] = rng.NextByte();
                    if (bytes[at] == BinaryDecoder.LiteralOpcode) bytes[at] = 0;
                    n += 8;
                    break;
            }
        }

        var count = BinaryDecoder.DecodeInto(bytes.AsSpan(0, n), context.Machine, _decoded);
        program.Load(_decoded.AsSpan(0, count));
        return true;
    }
}
