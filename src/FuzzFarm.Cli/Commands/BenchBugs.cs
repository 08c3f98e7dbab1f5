using FuzzFarm.KernelC;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// One bug of the time-to-bug benchmark (<c>fuzzfarm bench --bugs</c>): the version that has it, the machine and
/// environment it is fuzzed on, the objective that says "found" (invariants, optionally a detail text), and a
/// witness program that shows it. A planted bug's version is a patch of a shipped version's C text (<see cref="Patch"/>)
/// compiled on <see cref="Base"/>; a zoo bug's version is <see cref="Base"/> itself.
/// </summary>
internal sealed record BenchBug(
    string Id,
    string Kind,
    string What,
    SplitVariant Base,
    string? Patch,
    EnvMode Env,
    IReadOnlyList<Invariant> Invariants,
    string? Detail,
    EventProgram Witness)
{
    public bool Planted => Patch is not null;

    public MachineConfig Machine => Witness.Machine;

    /// <summary>The objective as one line: invariants, detail, env.</summary>
    public string Objective =>
        string.Join(",", Invariants.Select(FuzzFarm.Model.Invariants.Id)) + (Detail is null ? "" : $" ~\"{Detail}\"") + $" ({EnvName(Env)})";

    public static string EnvName(EnvMode env) => env == EnvMode.Strict ? "strict" : "adversarial";

    /// <summary>The version to fuzz: the base, or the planted patch compiled on it.</summary>
    public SplitVariant Version() => Patch is null ? Base
        : VersionSource.Compile(VersionSource.From($"planted/{Id}.patch", Patch, Base), Id, Base);

    /// <summary>Whether the objective selects a violation of <paramref name="program"/>'s run on <paramref name="version"/>.</summary>
    public bool Shows(EventProgram program, SplitVariant version)
    {
        ArgumentNullException.ThrowIfNull(program);
        var objective = new FuzzFarm.Engine.ViolationObjective(Env, Invariants, Detail);
        var machine = new Machine(program.Machine, version);
        machine.Run(program.Events.AsSpan());
        return objective.TryRoot(machine, out _);
    }
}

/// <summary>
/// The benchmark's bugs: the zoo's root causes that fuzzing reaches (their witness is the corpus trace, embedded in
/// FuzzFarm.Host) and the planted bugs (patches with their objective and witness in a preamble, embedded in this
/// assembly as <c>planted/*.patch</c>; bench data, not catalog versions).
/// </summary>
internal static class BenchBugs
{
    /// <summary>Zoo rows that are no bug to find, and why.</summary>
    public static readonly IReadOnlyList<(string Id, string Why)> Skipped =
    [
        ("Z4", "no bug: the trylock versions must refuse Z3's window (-EBUSY); a row that must not reproduce"),
        ("Z5", "no bug in a shipped version: the realm versions refuse a split before mem_init() as they should; " +
            "the version that would allocate is planted (drop-guard)"),
    ];

    private static readonly (string Id, string Version, string Invariants, string? Detail)[] _zoo =
    [
        ("Z1", "a166563", "realm-share-failed", null),
        ("Z2", "a166563", "sleep-in-atomic", null),
        ("Z3", "realm-v2", "tlb-conflict", "in bring-up"),
        ("Z6", "realm-v2", "realm-share-failed", null),
        ("Z7", "realm-v1", "spurious-ebusy", null),
        ("Z8", "realm-v2", "tlb-conflict", "an online CPU"),
        ("Z9", "realm-v2", "perm-not-applied", "walk returned 0"),
    ];

    /// <summary>Every bug: the zoo's, then the planted ones.</summary>
    public static IReadOnlyList<BenchBug> All() => [.. Zoo(), .. Planted()];

    /// <summary>The zoo bugs fuzzing reaches, each with its corpus trace as witness.</summary>
    public static IReadOnlyList<BenchBug> Zoo()
    {
        var assembly = typeof(FuzzFarm.Host.Web.CheckPage).Assembly;
        return _zoo.Select(z =>
        {
            using var stream = assembly.GetManifestResourceStream($"corpus/{z.Id}.trace")
                ?? throw new InvalidOperationException($"this build has no embedded corpus/{z.Id}.trace");
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            var trace = TraceParser.Parse(text, $"{z.Id}.trace");
            // The title is the first comment's "# Zn: title (source)."
            var first = text.Split('\n')[0];
            var title = first.IndexOf(": ", StringComparison.Ordinal) is var i and > 0 ? first[(i + 2)..].Split(" (")[0].TrimEnd('.') : z.Id;
            return new BenchBug(z.Id, "zoo", title, VariantCatalog.Get(z.Version), null, trace.Env ?? EnvMode.Strict,
                ParseInvariants(z.Invariants, z.Id), z.Detail, trace);
        }).ToList();
    }

    /// <summary>The planted bugs embedded in this assembly, in name order.</summary>
    public static IReadOnlyList<BenchBug> Planted()
    {
        var assembly = typeof(BenchBugs).Assembly;
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith("planted/", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return ParsePlanted(n, reader.ReadToEnd());
            }).ToList();
    }

    /// <summary>
    /// A planted bug: <c>key: value</c> lines (planted, kind, base, invariant, optional detail, what), then
    /// <c>witness:</c> and a trace indented by two spaces (its machine and env are the bug's), then the unified diff
    /// against the base's C text.
    /// </summary>
    public static BenchBug ParsePlanted(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        var witness = new List<string>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length && !lines[i].StartsWith("--- ", StringComparison.Ordinal); i++)
        {
            var line = lines[i];
            if (line.StartsWith("  ", StringComparison.Ordinal) && keys.ContainsKey("witness")) witness.Add(line[2..]);
            else if (line.Length > 0 && !line.StartsWith('#') && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                keys[line[..colon]] = line[(colon + 1)..].Trim();
        }

        string Key(string k) => keys.TryGetValue(k, out var v) && (v.Length > 0 || k == "witness") ? v
            : throw new InvalidOperationException($"{name}: no '{k}:' line in the preamble");
        var id = Key("planted");
        var baseVersion = VariantCatalog.TryGet(Key("base"), out var b) ? b : throw new InvalidOperationException($"{name}: unknown base '{Key("base")}'");
        _ = Key("witness");
        if (witness.Count == 0) throw new InvalidOperationException($"{name}: the witness trace is empty");
        var program = TraceParser.Parse(string.Join('\n', witness) + "\n", $"{name} (witness)");
        var env = program.Env ?? throw new InvalidOperationException($"{name}: the witness trace has no env line (the env the bug is fuzzed in)");
        return new BenchBug(id, Key("kind"), Key("what"), baseVersion, text, env, ParseInvariants(Key("invariant"), name),
            keys.GetValueOrDefault("detail") is { Length: > 0 } d ? d : null, program);
    }

    /// <summary>
    /// Checks that the bug is what it says: its witness shows the objective on its version and, for a planted bug,
    /// not on the unmutated base. Returns the problem, or null.
    /// </summary>
    public static string? Check(BenchBug bug, SplitVariant version)
    {
        ArgumentNullException.ThrowIfNull(bug);
        if (!bug.Shows(bug.Witness, version)) return $"{bug.Id}: its witness does not show {bug.Objective} on {version.Id}";
        if (bug.Planted && bug.Shows(bug.Witness, bug.Base)) return $"{bug.Id}: its witness also shows {bug.Objective} on the unmutated {bug.Base.Id}";
        return null;
    }

    private static List<Invariant> ParseInvariants(string ids, string where) =>
        ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(id => FuzzFarm.Model.Invariants.TryParse(id, out var inv) ? inv : throw new InvalidOperationException($"{where}: unknown invariant '{id}'"))
            .ToList();
}
