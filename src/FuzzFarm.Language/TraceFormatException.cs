namespace FuzzFarm.Language;

/// <summary>
/// A trace that <see cref="TraceParser"/> rejects. <see cref="Line"/> is 1-based; the message reads
/// <c>FILE:LINE: problem</c>, or <c>line N: problem</c> when the trace has no file name.
/// </summary>
public sealed class TraceFormatException : FormatException
{
    public TraceFormatException(string? fileName, int line, string problem)
        : base(Compose(fileName, line, problem))
    {
        FileName = fileName;
        Line = line;
        Problem = problem;
    }

    public TraceFormatException() : this(null, 0, "malformed trace")
    {
    }

    public TraceFormatException(string message) : base(message)
    {
        Problem = message;
    }

    public TraceFormatException(string message, Exception inner) : base(message, inner)
    {
        Problem = message;
    }

    /// <summary>The file name given to the parser, or null.</summary>
    public string? FileName { get; }

    /// <summary>The 1-based line of the problem (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>The cause, without the location.</summary>
    public string Problem { get; } = "";

    private static string Compose(string? fileName, int line, string problem) =>
        fileName is null ? $"line {line}: {problem}" : $"{fileName}:{line}: {problem}";
}
