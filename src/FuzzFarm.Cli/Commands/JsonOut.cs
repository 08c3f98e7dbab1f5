using System.CommandLine;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// The one meaning of JSON output on every command that has it: <c>--json</c> makes stdout the JSON document and
/// nothing else (the text form is not printed; progress goes to stderr); <c>--json-file F</c> writes the same
/// document to F and leaves the text on stdout. Keys are snake_case everywhere.
/// </summary>
internal sealed class JsonOut
{
    public JsonOut(string what)
    {
        Json = new Option<bool>("--json") { Description = $"Print {what} as JSON on stdout (only the JSON; progress goes to stderr)" };
        File = new Option<string?>("--json-file") { Description = $"Also write {what} as JSON to this file" };
    }

    public Option<bool> Json { get; }

    public Option<string?> File { get; }

    public IEnumerable<Option> All => [Json, File];

    /// <summary>Whether stdout is the JSON document.</summary>
    public bool ToStdout(ParseResult parse) => parse.GetValue(Json);

    /// <summary>Where the text form and progress go: stderr when stdout is the JSON document.</summary>
    public TextWriter Text(ParseResult parse, TextWriter stdout, TextWriter stderr) => parse.GetValue(Json) ? stderr : stdout;

    /// <summary>Writes the document where it was asked for (stdout, the file, both, or nowhere).</summary>
    public void Emit(ParseResult parse, TextWriter stdout, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var text = json.EndsWith('\n') ? json : json + "\n";
        if (parse.GetValue(Json))
        {
            stdout.Write(text);
            stdout.Flush();
        }

        if (parse.GetValue(File) is { } path) System.IO.File.WriteAllText(path, text);
    }

    /// <summary>Writes the document with <paramref name="write"/> where it was asked for.</summary>
    public void Emit(ParseResult parse, TextWriter stdout, Action<TextWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (!parse.GetValue(Json) && parse.GetValue(File) is null) return;
        var w = new StringWriter();
        write(w);
        Emit(parse, stdout, w.ToString());
    }
}
