using CsCheck;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Model;

/// <summary>
/// Signatures are a function of the program alone: program B gives the same violations (invariant, place, detail,
/// window, guard path, assumptions, task, CPU), the same state hash and the same root-cause keys on a fresh machine
/// and on a machine that ran any program A before, and when it is continued from a snapshot another run restored.
/// </summary>
public sealed class FreshVersusReusedTests
{
    private static readonly MachineConfig[] _machines =
    [
        M.Z3Machine,
        M.AllBbml2.With(realm: true, rodata: RodataMode.NoAlias, swiotlbOffset: 0x1000_3000, swiotlbSize: 64UL << 20),
        new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(false), CpuSpec.WithBbml2(true)], kfence: KfenceMode.Late, bootCpus: 2),
        new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true)], debugPagealloc: true, kfence: KfenceMode.Early),
        M.AllBbml2.With(realm: true, swiotlbOffset: 0x1000_3000, swiotlbSize: 4UL << 20, itsOffset: 0x2000_0000, itsSize: 64UL << 10),
    ];

    private static string Describe(ReadOnlySpan<Violation> violations, string variant)
    {
        var parts = new List<string>();
        foreach (ref readonly var v in violations)
            parts.Add($"{v}|{Signature.Of(variant, v).Key}");
        return string.Join("\n", parts);
    }

    [Fact]
    public void ProgramB_GivesTheSameViolationsAndKeys_FreshOrAfterProgramA()
    {
        var gen = Gen.Select(Gen.Int[0, _machines.Length - 1], Gen.Int[0, VariantCatalog.All.Count - 1], Gen.Byte.Array[0, 200], Gen.Byte.Array[0, 200]);
        gen.Sample((mi, vi, a, b) =>
        {
            var config = _machines[mi];
            var variant = VariantCatalog.All[vi];
            var programA = BinaryDecoder.Decode(a, config).Events;
            var programB = BinaryDecoder.Decode(b, config).Events;

            var fresh = new Machine(config, variant);
            fresh.RunPrefix(programB.AsSpan(), out var freshHash);
            var expected = Describe(fresh.Violations, variant.Id);

            var reused = new Machine(config, variant);
            reused.Run(programA.AsSpan());
            reused.RunPrefix(programB.AsSpan(), out var reusedHash);
            var actual = Describe(reused.Violations, variant.Id);

            return expected == actual && freshHash == reusedHash;
        }, iter: 200, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void ProgramB_ContinuedFromASnapshot_MatchesARunFromTheStart()
    {
        var gen = Gen.Select(Gen.Int[0, _machines.Length - 1], Gen.Int[0, VariantCatalog.All.Count - 1], Gen.Byte.Array[0, 200], Gen.Byte.Array[0, 200]);
        gen.Sample((mi, vi, a, b) =>
        {
            var config = _machines[mi];
            var variant = VariantCatalog.All[vi];
            var events = BinaryDecoder.Decode(b, config).Events;
            if (events.Length < 2) return true;
            var cut = events.Length / 2;

            var whole = new Machine(config, variant);
            whole.Run(events.AsSpan());
            var expected = Describe(whole.Violations, variant.Id);

            // Save after the prefix, dirty the machine with another program, then restore and continue.
            var machine = new Machine(config, variant);
            var snapshot = new KernelSnapshot();
            machine.RunPrefixOnly(events.AsSpan()[..cut]);
            machine.Save(snapshot);
            machine.Run(BinaryDecoder.Decode(a, config).Events.AsSpan());
            machine.Continue(snapshot, cut, events.AsSpan()[cut..]);
            machine.FinishRun(events.Length);
            return expected == Describe(machine.Violations, variant.Id);
        }, iter: 200, seed: "0N0XIzNsQ0O2");
    }
}
