using System.Text;
using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>
/// Writes the canonical text form of an <see cref="EventProgram"/> (grammar in README.md). The output is a pure
/// function of the program — no comments, dates or versions — so that equal programs give byte-equal traces and
/// <c>TraceParser.Parse(TraceWriter.Write(p))</c> equals <c>p</c>.
/// </summary>
public static class TraceWriter
{
    /// <summary>The trace text, one line per record, each ending in <c>\n</c>.</summary>
    /// <exception cref="ArgumentException">The program is invalid or its machine has no text form.</exception>
    public static string Write(EventProgram program) => Write(program, []);

    /// <summary>As <see cref="Write(EventProgram)"/>, with <c># </c> comment lines first (one per entry, newlines removed).</summary>
    public static string Write(EventProgram program, IEnumerable<string> comments)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(comments);
        // Only valid programs have a text form that reads back to the same program; refusing the rest keeps
        // every trace on disk replayable.
        var problem = program.Validate();
        if (problem is not null) throw new ArgumentException($"cannot write an invalid program: {problem}", nameof(program));

        var sb = new StringBuilder();
        foreach (var c in comments) sb.Append("# ").Append(c.ReplaceLineEndings(" ")).Append('\n');
        sb.Append("fuzzfarm-trace ").Append(TraceSyntax.Dec(NeededRevision(program))).Append('\n');
        sb.Append(MachineSyntax.Format(program.Machine)).Append('\n');
        if (program.Variant is not null) sb.Append("variant ").Append(program.Variant).Append('\n');
        if (program.Env is { } env) sb.Append(env == EnvMode.Strict ? "env strict\n" : "env adversarial\n");
        if (program.Seed is { } seed) sb.Append("seed ").Append(Seed(seed)).Append('\n');
        foreach (var ev in program.Events) sb.Append(EventSyntax.Format(ev, program.Machine)).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The keys of a configuration's <c>machine</c> line, without the keyword: what <c>--machine SPEC</c> and
    /// <see cref="TraceParser.ParseMachine"/> take, and what banners and reports print.
    /// </summary>
    public static string FormatMachine(MachineConfig machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var line = MachineSyntax.Format(machine);
        return line.StartsWith("machine ", StringComparison.Ordinal) ? line["machine ".Length..] : line;
    }

    /// <summary>One event line as it appears in a trace (addresses relative to <paramref name="machine"/>).</summary>
    public static string FormatEvent(in MachineEvent ev, MachineConfig machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return EventSyntax.Format(ev, machine);
    }

    /// <summary>
    /// The lowest format revision that expresses the program: a trace that uses nothing newer keeps the header
    /// it always had, so traces written before a revision are still written byte for byte the same.
    /// </summary>
    public static int NeededRevision(EventProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var revision = MachineSyntax.Revision(program.Machine);
        foreach (var ev in program.Events) revision = Math.Max(revision, EventSyntax.Revision(ev));
        return revision;
    }

    private static string Seed(ulong seed) => seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
