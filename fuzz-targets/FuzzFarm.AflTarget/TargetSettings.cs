using FuzzFarm.Engine;
using FuzzFarm.KernelC;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.AflTarget;

/// <summary>A setting that cannot be used; the message names the environment variable.</summary>
internal sealed class SettingsException(string message) : Exception(message);

/// <summary>
/// What the target fuzzes, read from environment variables (afl-fuzz passes its environment through to the
/// target, so afl.sh sets these rather than command-line arguments).
/// </summary>
internal sealed record TargetSettings(
    SplitVariant Variant,
    MachineConfig Machine,
    EnvMode Env,
    IReadOnlyList<Invariant>? Invariants,
    string? DetailContains = null,
    string? VersionFile = null)
{
    public const string DetailVariable = "FUZZFARM_DETAIL";

    /// <summary>A C file or a unified diff (as <c>fuzzfarm check</c> takes it) compiled on FUZZFARM_VARIANT as its base.</summary>
    public const string VersionFileVariable = "FUZZFARM_VERSION_FILE";

    public const string VariantVariable = "FUZZFARM_VARIANT";
    public const string MachineVariable = "FUZZFARM_MACHINE";
    public const string EnvVariable = "FUZZFARM_ENV";
    public const string InvariantVariable = "FUZZFARM_INVARIANT";

    public const string DefaultVariant = "realm-v2";
    public const string DefaultMachine = "cpus=2 bbml2=0 ram=4G";

    /// <summary>The objective the settings select: the env's reporting rule and the invariants (all by default).</summary>
    public ViolationObjective Objective() => new(Env, Invariants, DetailContains);

    public string Describe() =>
        $"variant={Variant.Id}{(VersionFile is null ? "" : $" version-file={VersionFile} on {Variant.Parent}")} machine=\"{TraceWriter.FormatMachine(Machine)}\" env={EnvName(Env)} invariants=" +
        (Invariants is null ? "all" : string.Join(",", Invariants.Select(FuzzFarm.Model.Invariants.Id)))
        + (DetailContains is null ? "" : $" detail~\"{DetailContains}\"");

    public static string EnvName(EnvMode env) => env == EnvMode.Strict ? "strict" : "adversarial";

    /// <summary>The settings from the process environment (or from <paramref name="lookup"/>, for tests).</summary>
    /// <exception cref="SettingsException">A variable holds a value the target cannot use.</exception>
    public static TargetSettings FromEnvironment(Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        string? Read(string name) => lookup(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var variantId = Read(VariantVariable) ?? DefaultVariant;
        if (!VariantCatalog.TryGet(variantId, out var variant))
        {
            throw new SettingsException(
                $"{VariantVariable}: unknown variant '{variantId}' (known: {string.Join(", ", VariantCatalog.Ids)})");
        }

        var versionFile = Read(VersionFileVariable);
        if (versionFile is not null) variant = Compile(versionFile, variant);

        var spec = Read(MachineVariable) ?? DefaultMachine;
        MachineConfig machine;
        try
        {
            machine = TraceParser.ParseMachine(spec);
        }
        catch (Exception e) when (e is TraceFormatException or MachineConfigException or ArgumentException)
        {
            throw new SettingsException($"{MachineVariable}: bad machine '{spec}': {e.Message}");
        }

        var envText = Read(EnvVariable) ?? "adversarial";
        var env = envText switch
        {
            "adversarial" => EnvMode.Adversarial,
            "strict" => EnvMode.Strict,
            _ => throw new SettingsException($"{EnvVariable}: '{envText}' is not 'strict' or 'adversarial'"),
        };

        List<Invariant>? invariants = null;
        if (Read(InvariantVariable) is { } list)
        {
            invariants = [];
            foreach (var id in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!FuzzFarm.Model.Invariants.TryParse(id, out var invariant))
                {
                    var known = string.Join(", ", FuzzFarm.Model.Invariants.All.Select(FuzzFarm.Model.Invariants.Id));
                    throw new SettingsException($"{InvariantVariable}: unknown invariant '{id}' (known: {known})");
                }

                invariants.Add(invariant);
            }

            if (invariants.Count == 0) throw new SettingsException($"{InvariantVariable}: no invariant id in '{list}'");
        }

        return new TargetSettings(variant, machine, env, invariants, Read(DetailVariable), versionFile);
    }

    /// <summary>
    /// The version compiled from <paramref name="path"/> (C, or a patch applied to the base's C text), its base
    /// supplying what the text does not define; every failure names the variable and the file's line.
    /// </summary>
    private static CVariant Compile(string path, SplitVariant baseVersion)
    {
        string text;
        try
        {
            if (new FileInfo(path).Length > CVariant.MaxInputBytes)
                throw new SettingsException($"{VersionFileVariable}: {path} is larger than {CVariant.MaxInputBytes:N0} bytes (a C file or patch)");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SettingsException($"{VersionFileVariable}: cannot read {path}: {e.Message}");
        }

        try
        {
            return VersionSource.Compile(VersionSource.From(path, text, baseVersion), "yours", baseVersion);
        }
        catch (KernelCException e)
        {
            throw new SettingsException($"{VersionFileVariable} (on {baseVersion.Id}): {e.Message}");
        }
    }
}
