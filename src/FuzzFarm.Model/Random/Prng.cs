namespace FuzzFarm.Model;

/// <summary>
/// The project's own pseudo-random generator (xoshiro256**, seeded through SplitMix64): every random choice of
/// the engine, the swarm and the tests comes from one of these, so a run is reproducible from its seed. A mutable
/// struct: pass it by reference. No floats in the API.
/// </summary>
public struct Prng
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Prng(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A generator for a named sub-stream of <paramref name="seed"/> (independent of the parent's draws).</summary>
    public static Prng Derive(ulong seed, ulong stream) => new(Mix(seed ^ Mix(stream + 0x9e3779b97f4a7c15UL)));

    public ulong NextU64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    public uint NextU32() => (uint)(NextU64() >> 32);

    public byte NextByte() => (byte)(NextU64() >> 56);

    /// <summary>Uniform in [0, <paramref name="bound"/>); <paramref name="bound"/> must be positive.</summary>
    public int Below(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound must be positive");
        // Lemire's multiply-shift; the bias for bounds this small (< 2^31) is below 2^-32.
        return (int)(((NextU64() >> 32) * (ulong)bound) >> 32);
    }

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Between(int min, int max) => min + Below(max - min + 1);

    /// <summary>True with probability <paramref name="numerator"/> / <paramref name="denominator"/>.</summary>
    public bool Chance(int numerator, int denominator) => Below(denominator) < numerator;

    /// <summary>A 64-bit finaliser (SplitMix64's), used for hashing and stream derivation.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9e3779b97f4a7c15UL;
        return Mix(x);
    }
}
