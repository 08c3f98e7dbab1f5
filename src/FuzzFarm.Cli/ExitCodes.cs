namespace FuzzFarm.Cli;

/// <summary>Process exit codes shared by every command.</summary>
public static class ExitCodes
{
    /// <summary>No violation (or the command succeeded).</summary>
    public const int Clean = 0;

    /// <summary>At least one violation was found.</summary>
    public const int Violation = 1;

    /// <summary>Bad input: a trace, a configuration or the command line; the message names file, line and cause.</summary>
    public const int BadInput = 2;

    /// <summary>No violation found, but no proof either: an exploration stopped at its state limit.</summary>
    public const int Inconclusive = 3;
}

/// <summary>Bad user input, reported on stderr with exit code 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }

    public UsageException() { }

    public UsageException(string message, Exception inner) : base(message, inner) { }
}
