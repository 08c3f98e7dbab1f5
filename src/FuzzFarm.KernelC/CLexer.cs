namespace FuzzFarm.KernelC;

/// <summary>A C text outside the supported subset: <c>file:line:col: construct; supported: …</c>.</summary>
public sealed class KernelCException : Exception
{
    public KernelCException(string message) : base(message) { }

    public KernelCException() { }

    public KernelCException(string message, Exception inner) : base(message, inner) { }
}

internal enum Tok { Ident, Number, Punct, String, Directive, End }

internal readonly record struct Token(Tok Kind, string Text, int Line, int Col, ulong Value = 0);

/// <summary>Source-level kernel C tokens: comments dropped, preprocessor lines kept whole as directives.</summary>
internal static class CLexer
{
    public const int MaxBytes = 1 << 20;

    private static readonly string[] _puncts =
    [
        "<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=",
        "&=", "|=", "^=", "{", "}", "(", ")", "[", "]", ";", ",", "?", ":", "=", "<", ">", "+", "-", "*", "/", "%", "&", "|",
        "^", "!", "~", ".",
    ];

    public static List<Token> Lex(string file, string text)
    {
        if (text.Length > MaxBytes)
            throw new KernelCException($"{file}:1:1: input of {text.Length:N0} characters; supported: a C file or patch up to {MaxBytes:N0} characters");
        var toks = new List<Token>();
        int i = 0, line = 1, lineStart = 0;
        bool atLineStart = true;
        string Where(int at) => $"{file}:{line}:{at - lineStart + 1}";
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n') { line++; i++; lineStart = i; atLineStart = true; continue; }
            if (c is ' ' or '\t' or '\r' or '\f' or '\v') { i++; continue; }
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '\n' or '\r') { i++; continue; }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n') i++;
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var (sl, sc) = (line, i - lineStart + 1);
                i += 2;
                while (i + 1 < text.Length && !(text[i] == '*' && text[i + 1] == '/'))
                {
                    if (text[i] == '\n') { line++; lineStart = i + 1; }
                    i++;
                }
                if (i + 1 >= text.Length) throw new KernelCException($"{file}:{sl}:{sc}: unterminated comment; supported: /* … */ closed before the end");
                i += 2;
                continue;
            }
            if (c < ' ' || c == '\x7f' || c == '\uFFFD')
                throw new KernelCException($"{Where(i)}: binary byte 0x{(int)c:x2}; supported: C source text");
            var col = i - lineStart + 1;
            if (c == '#' && atLineStart)
            {
                var s = i;
                while (i < text.Length && text[i] != '\n')
                {
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == '\n') { i += 2; line++; lineStart = i; continue; }
                    i++;
                }
                toks.Add(new Token(Tok.Directive, text[s..i].Trim(), line, col));
                continue;
            }
            atLineStart = false;
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var s = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                toks.Add(new Token(Tok.Ident, text[s..i], line, col));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                var s = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                var raw = text[s..i];
                var digits = raw.TrimEnd('u', 'U', 'l', 'L');
                ulong v;
                bool ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                    ? ulong.TryParse(digits[2..], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out v)
                    : ulong.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out v);
                if (!ok) throw new KernelCException($"{file}:{line}:{col}: number '{raw}'; supported: decimal and 0x hex integers with u/l suffixes");
                toks.Add(new Token(Tok.Number, raw, line, col, v));
                continue;
            }
            if (c is '"' or '\'')
            {
                var s = i++;
                while (i < text.Length && text[i] != c && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
                if (i >= text.Length || text[i] != c) throw new KernelCException($"{file}:{line}:{col}: unterminated literal; supported: \"…\" and '…' on one line");
                i++;
                toks.Add(new Token(Tok.String, text[s..i], line, col));
                continue;
            }
            var p = _puncts.FirstOrDefault(q => string.CompareOrdinal(text, i, q, 0, q.Length) == 0);
            if (p is null) throw new KernelCException($"{Where(i)}: character '{c}'; supported: C tokens");
            toks.Add(new Token(Tok.Punct, p, line, col));
            i += p.Length;
        }
        toks.Add(new Token(Tok.End, "end of input", line, i - lineStart + 1));
        return toks;
    }
}
