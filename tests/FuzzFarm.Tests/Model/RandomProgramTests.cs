using CsCheck;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Model;

/// <summary>Any decoded program runs on any variant without throwing and leaves a well-formed machine.</summary>
public sealed class RandomProgramTests
{
    private static readonly MachineConfig[] _machines =
    [
        M.Z3Machine,
        M.AllBbml2.With(realm: true, rodata: RodataMode.NoAlias, swiotlbOffset: 0x1000_3000, swiotlbSize: 64UL << 20),
        new MachineConfig([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(false), CpuSpec.WithBbml2(true)], kfence: KfenceMode.Late, bringup: BringupMode.Parallel, bootCpus: 2),
        new MachineConfig([CpuSpec.WithBbml2(false)], ramBytes: 1026UL << 20, debugPagealloc: true, kfence: KfenceMode.Early, kfencePoolOffset: 0x0a00_3000),
        new MachineConfig([CpuSpec.WithBbml2(true), new CpuSpec(true, false)], walker: WalkerMode.Sect, realm: true),
    ];

    [Fact]
    public void DecodedPrograms_RunOnEveryVariant_WithoutThrowing_AndKeepTheMapWellFormed()
    {
        var gen = Gen.Select(Gen.Int[0, _machines.Length - 1], Gen.Byte.Array[0, 240]);
        gen.Sample((mi, bytes) =>
        {
            var config = _machines[mi];
            var program = BinaryDecoder.Decode(bytes, config);
            foreach (var variant in VariantCatalog.All)
            {
                var machine = new Machine(config, variant);
                machine.Run(program.Events.AsSpan());
                var end = 0UL;
                foreach (var r in machine.Kernel.Map.Runs)
                {
                    if (r.Start != end || r.End <= r.Start || r.Start % Units.LeafSize(r.Level) != 0 || r.End % Units.LeafSize(r.Level) != 0)
                        return false;
                    end = r.End;
                }

                if (machine.Kernel.Map.Count > 0 && end != config.RamBytes) return false;
                // Locks still held at the end were leaked by a call that returned or died holding them: a finding names it.
                if (!machine.Kernel.LocksFree
                    && !machine.Violations.ToArray().Any(v => v.Invariant is Invariant.LockOrder or Invariant.HungTask or Invariant.SleepInAtomic)) return false;
            }

            return true;
        }, iter: 300, seed: "0N0XIzNsQ0O2");
    }
}
