using System.Collections.Immutable;
using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>
/// Reads the text trace format (grammar in README.md). Strict: anything the grammar or the static rules do not
/// allow throws a <see cref="TraceFormatException"/> naming the line and the cause, because a trace that replays
/// something other than what its author meant is worse than one that does not load.
/// </summary>
public static class TraceParser
{
    /// <summary>Parses a whole trace.</summary>
    /// <param name="text">The trace text (LF or CRLF line ends).</param>
    /// <param name="fileName">Used only in error messages.</param>
    /// <exception cref="TraceFormatException">The trace is malformed or breaks a static rule.</exception>
    public static EventProgram Parse(string text, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Session(fileName).Run(text);
    }

    /// <summary>
    /// Parses a machine specification: the keys of a trace's <c>machine</c> line, with or without the leading
    /// <c>machine</c> keyword (what <c>--machine SPEC</c> takes).
    /// </summary>
    /// <exception cref="TraceFormatException">An unknown key, a bad value or an impossible machine.</exception>
    public static MachineConfig ParseMachine(string spec, ICollection<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Length > MaxLineLength)
            throw new TraceFormatException("--machine", 1, $"{spec.Length:N0} characters; a machine spec has at most {MaxLineLength:N0}");
        var tokens = TraceSyntax.Tokens(spec.Trim());
        if (tokens.Length == 0 || tokens[0] != "machine") tokens = ["machine", .. tokens];
        try
        {
            return MachineSyntax.Parse(tokens, warnings);
        }
        catch (TraceProblem problem)
        {
            throw new TraceFormatException("--machine", 1, problem.Message);
        }
    }

    /// <summary>Longest line (and <c>--machine</c> spec) read: a machine line of every key with 64 CPUs listed is under 1,000.</summary>
    public const int MaxLineLength = 4096;

    private sealed class Session(string? fileName)
    {
        private readonly ImmutableArray<MachineEvent>.Builder _events = ImmutableArray.CreateBuilder<MachineEvent>();
        private bool _sawHeader;
        private MachineConfig? _machine;
        private EventValidator _validator;
        private string? _variant;
        private EnvMode? _env;
        private ulong? _seed;
        private bool _sawVariant;
        private bool _sawEnv;
        private bool _sawSeed;
        private readonly List<string> _warnings = [];
        private int _line;
        private int _revision = EventProgram.CurrentRevision;

        public EventProgram Run(string text)
        {
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Length > MaxLineLength)
                    throw new TraceFormatException(fileName, i + 1, $"line of {lines[i].Length:N0} characters; a trace line has at most {MaxLineLength:N0}");
                var tokens = TraceSyntax.Tokens(TraceSyntax.StripComment(lines[i]));
                if (tokens.Length == 0) continue;
                _line = i + 1;
                try
                {
                    Line(tokens);
                }
                catch (TraceProblem problem)
                {
                    throw new TraceFormatException(fileName, i + 1, problem.Message);
                }
            }

            // A trailing newline leaves an empty last element: report end-of-file problems on the last real line.
            var lastLine = Math.Max(1, text.EndsWith('\n') ? lines.Length - 1 : lines.Length);
            if (!_sawHeader) throw new TraceFormatException(fileName, 1, $"missing header 'fuzzfarm-trace {EventProgram.CurrentRevision}'");
            if (_machine is null) throw new TraceFormatException(fileName, lastLine, "missing machine line");
            return new EventProgram(_machine, _events.ToImmutable(), _variant, _env, _seed) { Warnings = [.. _warnings] };
        }

        private void Line(string[] tokens)
        {
            var keyword = tokens[0];
            if (!_sawHeader)
            {
                Header(tokens);
                return;
            }

            switch (keyword)
            {
                case "fuzzfarm-trace":
                    throw new TraceProblem("duplicate header 'fuzzfarm-trace'");
                case "machine":
                    BeforeEvents(keyword, _machine is not null);
                    var before = _warnings.Count;
                    _machine = MachineSyntax.Parse(tokens, _warnings, _revision);
                    for (var w = before; w < _warnings.Count; w++) _warnings[w] = $"{fileName ?? "trace"}:{_line}: warning: {_warnings[w]}";
                    _validator = new EventValidator(_machine);
                    break;
                case "variant":
                    BeforeEvents(keyword, _sawVariant);
                    _sawVariant = true;
                    _variant = Single(tokens);
                    if (!TraceNames.IsVariantId(_variant))
                        throw new TraceProblem($"variant: '{_variant}' is not an id of the form [a-z0-9][a-z0-9-']*");
                    break;
                case "env":
                    BeforeEvents(keyword, _sawEnv);
                    _sawEnv = true;
                    _env = Single(tokens) switch
                    {
                        "strict" => EnvMode.Strict,
                        "adversarial" => EnvMode.Adversarial,
                        var other => throw new TraceProblem($"env: unknown value '{other}' (expected strict|adversarial)"),
                    };
                    break;
                case "seed":
                    BeforeEvents(keyword, _sawSeed);
                    _sawSeed = true;
                    var seedText = Single(tokens);
                    _seed = TraceSyntax.TryParseDecimal(seedText, out var seed)
                        ? seed : throw new TraceProblem($"seed: bad number '{seedText}'");
                    break;
                default:
                    Event(tokens);
                    break;
            }
        }

        private void Header(string[] tokens)
        {
            if (tokens[0] != "fuzzfarm-trace")
                throw new TraceProblem($"missing header: the first line must be 'fuzzfarm-trace {EventProgram.CurrentRevision}'");
            var revisionText = Single(tokens);
            if (!TraceSyntax.TryParseDecimal(revisionText, out var revision))
                throw new TraceProblem($"fuzzfarm-trace: bad revision number '{revisionText}'");
            if (revision < 1 || revision > EventProgram.CurrentRevision)
                throw new TraceProblem($"unsupported format revision {revisionText} (this reader reads revisions 1..{EventProgram.CurrentRevision})");
            _sawHeader = true;
            _revision = (int)revision;
        }

        private void BeforeEvents(string keyword, bool duplicate)
        {
            if (duplicate) throw new TraceProblem($"duplicate '{keyword}' line");
            if (_events.Count > 0) throw new TraceProblem($"'{keyword}' must come before the first event");
        }

        private void Event(string[] tokens)
        {
            if (!EventSyntax.IsEventKeyword(tokens[0])) throw new TraceProblem($"unknown keyword '{tokens[0]}'");
            if (_machine is null) throw new TraceProblem("missing machine line before the first event");
            var ev = EventSyntax.Parse(tokens, _machine);
            var needs = EventSyntax.Revision(ev);
            if (needs > _revision)
                throw new TraceProblem($"{(ev.Kind == EventKind.Call ? TraceNames.Op(ev.Op) : tokens[0])}: needs format revision {needs} (the header says {_revision})");
            var problem = _validator.Accept(ev);
            if (problem is not null) throw new TraceProblem(problem);
            _events.Add(ev);
        }

        private static string Single(string[] tokens) =>
            tokens.Length == 2 ? tokens[1] : throw new TraceProblem($"{tokens[0]}: expected exactly one value");
    }
}
