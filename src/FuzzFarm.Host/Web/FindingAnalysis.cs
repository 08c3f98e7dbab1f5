using FuzzFarm.Engine;
using FuzzFarm.Farm;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Host.Web;

/// <summary>
/// A finding record replayed for reports: its trace parsed, its variant matrix row, and a timeline replay on its
/// own variant and env. A record whose trace or variant cannot be used still renders: the parts that could not be
/// computed are null and <see cref="Problem"/> says why.
/// </summary>
public sealed record FindingAnalysis(
    FindingRecord Record,
    EnvMode Env,
    EventProgram? Program,
    MatrixRow? Row,
    VariantReplay? Replay,
    string? Problem)
{
    public string EnvName => Env == EnvMode.Strict ? "strict" : "adversarial";

    /// <summary>Whether a violation is this finding's own (same invariant, place and detail as the signature).</summary>
    public bool IsFinding(Violation v) =>
        Invariants.Id(v.Invariant) == Record.Invariant && Points.Name(v.Where) == Record.Where && v.Detail == Record.Detail;

    /// <summary>Parses, replays and tabulates <paramref name="record"/> (pure; a few model runs of a small program).</summary>
    public static FindingAnalysis Of(FindingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var env = ParseEnv(record.Env);
        EventProgram program;
        try
        {
            program = TraceParser.Parse(record.SmallestTrace, record.SignatureKey + ".trace");
        }
        catch (TraceFormatException e)
        {
            return new FindingAnalysis(record, env ?? EnvMode.Adversarial, null, null, null, $"the trace does not parse: {e.Message}");
        }

        var mode = env ?? program.Env ?? EnvMode.Adversarial;
        var row = Invariants.TryParse(record.Invariant, out var invariant)
            ? VariantMatrix.Row(program.Machine, program.Events.AsSpan(), invariant, mode, VariantCatalog.All)
            : null;
        var variantId = record.Variant.Length > 0 ? record.Variant : program.Variant ?? "";
        var replay = VariantCatalog.TryGet(variantId, out var variant) ? BoundedReplay.Run(program, variant, mode).Replay : null;
        var problem = (row, replay) switch
        {
            (null, _) => $"unknown invariant '{record.Invariant}': no variant matrix",
            (_, null) => $"unknown variant '{variantId}': no timeline",
            _ => null,
        };
        return new FindingAnalysis(record, mode, program, row, replay, problem);
    }

    /// <summary>"strict" or "adversarial"; null for anything else.</summary>
    public static EnvMode? ParseEnv(string? env) => env switch
    {
        "strict" => EnvMode.Strict,
        "adversarial" => EnvMode.Adversarial,
        _ => null,
    };
}
