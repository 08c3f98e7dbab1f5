using System.CommandLine;
using FuzzFarm.Cli.Replay;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>Options several commands share: the machine, the environment, the invariants.</summary>
internal static class CommonOptions
{
    /// <summary>The machine when none is given: Z3's (CPU 0 with BBML2_NOABORT, CPU 1 without).</summary>
    public const string DefaultMachine = "cpus=2 bbml2=0 ram=4G";

    public static Option<string?> Machine() => new("--machine") { Description = $"Machine spec, as in a trace's machine line (default: \"{DefaultMachine}\")" };

    public static Option<string?> MachineOf() => new("--machine-of") { Description = "Take the machine from this trace's header" };

    /// <summary>
    /// The one default environment: strict (only the kernel's own callers and timings). A trace's env line is its own
    /// choice and wins over this default; --env wins over both. Campaigns run both unless told otherwise.
    /// </summary>
    public const EnvMode DefaultEnv = EnvMode.Strict;

    public static Option<string?> Env() => new("--env") { Description = "strict or adversarial (default: strict)" };

    /// <summary>--env on commands that read traces: the trace's env line, else the default.</summary>
    public static Option<string?> TraceEnv() => new("--env") { Description = "strict or adversarial (default: the trace's env line, else strict)" };

    public static Option<string?> Invariant() => new("--invariant") { Description = "Invariant id(s), comma-separated (default: all)" };

    public static MachineConfig ResolveMachine(string? spec, string? machineOf)
    {
        if (spec is not null && machineOf is not null) throw new UsageException("--machine and --machine-of exclude each other");
        if (machineOf is not null) return TraceLoader.Load(machineOf).Machine;
        var warnings = new List<string>();
        var machine = TraceParser.ParseMachine(spec ?? DefaultMachine, warnings);
        foreach (var warning in warnings) Console.Error.WriteLine($"--machine: warning: {warning}");
        return machine;
    }

    public static IReadOnlyList<Invariant>? ParseInvariants(string? text)
    {
        if (text is null) return null;
        var list = new List<Invariant>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Invariants.TryParse(part, out var inv))
                throw new UsageException($"--invariant: '{part}' is not an invariant id (one of {string.Join(", ", Invariants.All.Select(Invariants.Id))})");
            list.Add(inv);
        }

        if (list.Count == 0) throw new UsageException("--invariant: no invariant id given");
        return list;
    }

    public static SplitVariant Variant(string id) =>
        VariantCatalog.TryGet(id, out var v) ? v : throw new UsageException($"--variant: unknown variant '{id}' (known: {string.Join(", ", VariantCatalog.Ids)})");

    public static EnvMode ParseEnv(string? text, EnvMode fallback) => ReplayCommand.ParseEnv(text) ?? fallback;

    public static ulong ParseSeed(string? text)
    {
        if (text is null) return 0;
        if (ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seed)) return seed;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && ulong.TryParse(text[2..], System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out seed)) return seed;
        throw new UsageException($"--seed: '{text}' is not an unsigned 64-bit number");
    }
}
