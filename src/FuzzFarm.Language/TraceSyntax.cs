using System.Globalization;

namespace FuzzFarm.Language;

/// <summary>
/// A problem found inside one line. Helpers throw it without knowing where they are; the parser catches it and
/// rethrows it as a <see cref="TraceFormatException"/> that names the file and line.
/// </summary>
internal sealed class TraceProblem : Exception
{
    public TraceProblem(string problem) : base(problem)
    {
    }

    public TraceProblem() : base("malformed line")
    {
    }

    public TraceProblem(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>Number and token helpers shared by the trace reader and writer.</summary>
internal static class TraceSyntax
{
    /// <summary>Splits a line (comment already removed) into tokens separated by spaces or tabs.</summary>
    public static string[] Tokens(string line) =>
        line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Strips a trailing carriage return and a <c>#</c> comment.</summary>
    public static string StripComment(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0) line = line[..hash];
        return line.TrimEnd('\r');
    }

    /// <summary>Plain decimal digits only: no sign, no spaces, no suffix.</summary>
    public static bool TryParseDecimal(string text, out ulong value)
    {
        value = 0;
        return text.Length > 0 && text.All(char.IsAsciiDigit)
            && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Decimal, or hexadecimal with a lowercase <c>0x</c> prefix.</summary>
    public static bool TryParseNumber(string text, out ulong value)
    {
        if (!text.StartsWith("0x", StringComparison.Ordinal)) return TryParseDecimal(text, out value);
        var digits = text[2..];
        value = 0;
        return digits.Length > 0 && digits.All(char.IsAsciiHexDigit)
            && ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A number with an optional binary suffix K, M or G (1024, 1024², 1024³).</summary>
    public static bool TryParseSize(string text, out ulong value)
    {
        var shift = text.Length == 0 ? 0 : text[^1] switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            _ => 0,
        };
        value = 0;
        if (!TryParseNumber(shift == 0 ? text : text[..^1], out var number)) return false;
        if (shift != 0 && number > ulong.MaxValue >> shift) return false;
        value = number << shift;
        return true;
    }

    public static ulong ParseSize(string key, string text) =>
        TryParseSize(text, out var value) ? value : throw new TraceProblem($"{key}: bad number '{text}'");

    public static int ParseInt(string key, string text, int min, int max)
    {
        if (!TryParseDecimal(text, out var value)) throw new TraceProblem($"{key}: bad number '{text}'");
        if (value < (ulong)min || value > (ulong)max)
            throw new TraceProblem($"{key}: {text} is out of range {min}..{max}");
        return (int)value;
    }

    public static string Hex(ulong value) => string.Create(CultureInfo.InvariantCulture, $"0x{value:x}");

    public static string Dec(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The <c>key=value</c> and bare tokens of one line. Rejects duplicate keys up front and unknown keys at the end,
/// so every key a line may carry must be taken before <see cref="EnsureConsumed"/>.
/// </summary>
internal sealed class LineFields
{
    private readonly List<KeyValuePair<string, string>> _pairs = [];
    private readonly string _what;

    public LineFields(string[] tokens, int start, string what)
    {
        _what = what;
        for (var i = start; i < tokens.Length; i++)
        {
            var token = tokens[i];
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                Bare.Add(token);
                continue;
            }

            var key = token[..eq];
            var value = token[(eq + 1)..];
            if (key.Length == 0) throw new TraceProblem($"{what}: missing key before '=' in '{token}'");
            if (value.Length == 0) throw new TraceProblem($"{what}: missing value for key '{key}'");
            if (_pairs.Exists(p => p.Key == key)) throw new TraceProblem($"{what}: duplicate key '{key}'");
            _pairs.Add(new(key, value));
        }
    }

    /// <summary>Tokens without <c>=</c>, in order.</summary>
    public List<string> Bare { get; } = [];

    /// <summary>Removes and returns a key's value, or null when the line does not carry it.</summary>
    public string? Take(string key)
    {
        var index = _pairs.FindIndex(p => p.Key == key);
        if (index < 0) return null;
        var value = _pairs[index].Value;
        _pairs.RemoveAt(index);
        return value;
    }

    public string Require(string key) => Take(key) ?? throw new TraceProblem($"{_what}: missing key '{key}='");

    /// <summary>Rejects a key that is known to the format but not allowed on this line.</summary>
    public void Forbid(string key, string reason)
    {
        if (_pairs.Exists(p => p.Key == key)) throw new TraceProblem($"{_what}: key '{key}=' is not allowed: {reason}");
    }

    public void EnsureNoBare()
    {
        if (Bare.Count > 0) throw new TraceProblem($"{_what}: unexpected token '{Bare[0]}'");
    }

    public void EnsureConsumed()
    {
        if (_pairs.Count > 0) throw new TraceProblem($"{_what}: unknown key '{_pairs[0].Key}'");
    }
}
