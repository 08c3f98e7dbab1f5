using FuzzFarm.Model;

namespace FuzzFarm.KernelC;

/// <summary>
/// A version compiled from C text. It is a <see cref="SplitVariant"/> like the C# ones: its overrides run closures
/// that call the same <see cref="Kernel"/> primitives, so preemption, replay, WARN and the oracle are the same.
/// What the text does not define comes from its base version or the defaults.
/// </summary>
public sealed class CVariant : SplitVariant
{
    private readonly SplitVariant? _fallback;
    private readonly CFunction _split;
    private readonly CFunction? _force, _canSet, _kfence, _maybeSplit;

    private readonly Dictionary<string, CFunction> _fns;

    private CVariant(string id, string? parent, SplitVariant? fallback, Dictionary<string, CFunction> fns, IReadOnlyList<string> notes)
    {
        _fns = fns;
        Id = id;
        Parent = parent;
        _fallback = fallback;
        _split = fns["split_kernel_leaf_mapping"];
        _force = fns.GetValueOrDefault("force_pte_mapping");
        _canSet = fns.GetValueOrDefault("can_set_direct_map");
        _kfence = fns.GetValueOrDefault("arch_kfence_init_pool");
        _maybeSplit = fns.GetValueOrDefault("linear_map_maybe_split_to_ptes");
        Notes = notes;
    }

    /// <summary>Compiles <paramref name="text"/>; throws <see cref="KernelCException"/> with file:line:col.</summary>
    public static CVariant Compile(string file, string text, string id, SplitVariant? fallback, IReadOnlySet<int>? changedLines = null)
    {
        var (fns, own) = CCompiler.Compile(file, text);
        var notes = new List<string>();
        foreach (var (name, line, endLine) in own)
        {
            var changed = changedLines?.Where(l => l >= line && l <= endLine).Order().FirstOrDefault();
            if (changedLines is null)
                notes.Add($"not modelled from your text: {name}() (line {line}) is defined there; the model's own is used");
            else if (changed is > 0)
                notes.Add($"not modelled from your text: {name}() changed at line {changed}; the model's own is used");
        }
        return new CVariant(id, fallback?.Id, fallback, fns, notes);
    }

    /// <summary>The same version with more notes (for example the files a patch also changed).</summary>
    public CVariant WithNotes(IEnumerable<string> more) => new(Id, Parent, _fallback, _fns, [.. Notes, .. more]);

    /// <summary>What the text holds that the model does not run (one line each).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The largest input accepted.</summary>
    public const int MaxInputBytes = CLexer.MaxBytes;

    public override string Id { get; }

    public override string? Parent { get; }

    public override string Provenance => "C text given to fuzzfarm check";

    public override string Summary => Parent is null ? "your C text" : $"your C text on {Parent}";

    public override int Order => (_fallback?.Order ?? 50) + 1;

    public override int SplitKernelLeafMapping(Kernel k, ulong start, ulong end) => (int)_split.Invoke(k, (long)start, (long)end);

    public override bool ForcePteMapping(Kernel k) =>
        _force is not null ? _force.Invoke(k) != 0 : _fallback?.ForcePteMapping(k) ?? base.ForcePteMapping(k);

    public override bool CanSetDirectMap(Kernel k) =>
        _canSet is not null ? _canSet.Invoke(k) != 0 : _fallback?.CanSetDirectMap(k) ?? base.CanSetDirectMap(k);

    public override bool MapMemLinearMapRequiresBbml2(Kernel k) =>
        _fallback?.MapMemLinearMapRequiresBbml2(k) ?? base.MapMemLinearMapRequiresBbml2(k);

    public override bool ArchKfenceInitPool(Kernel k) =>
        _kfence is not null ? _kfence.Invoke(k) != 0 : _fallback?.ArchKfenceInitPool(k) ?? base.ArchKfenceInitPool(k);

    public override void LinearMapMaybeSplitToPtes(Kernel k)
    {
        if (_maybeSplit is not null) _maybeSplit.Invoke(k);
        else if (_fallback is not null) _fallback.LinearMapMaybeSplitToPtes(k);
        else base.LinearMapMaybeSplitToPtes(k);
    }

    public override BootPhase SwiotlbUpdateMemAttributesPhase => _fallback?.SwiotlbUpdateMemAttributesPhase ?? base.SwiotlbUpdateMemAttributesPhase;

    public override bool ProbesRsiBeforeMapMem => _fallback?.ProbesRsiBeforeMapMem ?? base.ProbesRsiBeforeMapMem;

    public override bool CpuQualifiesBbml2NoAbort(CpuSpec cpu) => _fallback?.CpuQualifiesBbml2NoAbort(cpu) ?? base.CpuQualifiesBbml2NoAbort(cpu);
}
