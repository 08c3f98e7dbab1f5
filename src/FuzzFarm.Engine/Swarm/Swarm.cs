using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Swarm testing (TigerBeetle's options_swarm): a machine shape drawn from the seed — CPU count, which CPUs lack
/// BBML2_NOABORT, rodata mode, KFENCE, realm, debug_pagealloc, bring-up mode, guest_memfd and memory hot-add — so that one campaign covers
/// shapes nobody wrote down.
/// </summary>
public static class Swarm
{
    public static MachineConfig Draw(ref Prng rng)
    {
        var cpus = rng.Below(8) switch
        {
            0 => 1,
            < 4 => 2,
            < 6 => 4,
            6 => 3,
            _ => 8,
        };
        var specs = new CpuSpec[cpus];
        var mode = rng.Below(4); // 0: all have it, 1: none, 2-3: a random subset
        for (var i = 0; i < cpus; i++)
        {
            var has = mode switch
            {
                0 => true,
                1 => false,
                _ => rng.Chance(2, 3),
            };
            specs[i] = CpuSpec.WithBbml2(has);
        }

        // What the kernel detects apart from what the hardware does (§9), from a side stream so that the draws
        // above and below stay what they were: sometimes one CPU is a part no allow-list names whose ID register
        // says BBM level 3 (BBML3 admits it; an erratum may still let it abort), or a Neoverse-V3AE r0p2 (on the
        // allow-lists from late 2025, not on a166563's).
        var copy = rng;
        var side = Prng.Derive(copy.NextU64(), 0xb3);
        if (cpus > 1 && side.Chance(1, 4))
        {
            var j = 1 + side.Below(cpus - 1);
            specs[j] = side.Chance(2, 3)
                ? new CpuSpec(CpuPart.Other, 0, 0, CpuSpec.MaxBbmLevel, Bbml2Hardware: side.Chance(1, 2))
                : new CpuSpec(CpuPart.NeoverseV3AE, 0, 2, 2, Bbml2Hardware: true);
        }

        var machine = new MachineConfig(
            specs,
            rodata: rng.Below(4) switch { 0 => RodataMode.Off, 1 => RodataMode.NoAlias, _ => RodataMode.On },
            debugPagealloc: rng.Chance(1, 5),
            kfence: rng.Below(3) switch { 0 => KfenceMode.Off, 1 => KfenceMode.Early, _ => KfenceMode.Late },
            realm: rng.Chance(1, 4),
            bringup: cpus > 2 && rng.Chance(1, 4) ? BringupMode.Parallel : BringupMode.Serial);

        // The revision-3 callers (guest_memfd, memory hot-add), from a side stream of their own taken from a copy of
        // the state the draws above left, so that every other field of every draw, and the stream itself, stay what
        // they were: sometimes the machine gets guest_memfd folios, sometimes 128 MiB or 1 GiB of hot-add RAM.
        var after = rng;
        var extra = Prng.Derive(after.NextU64(), 0xc5);
        var gmem = extra.Chance(1, 6);
        var hotadd = extra.Chance(1, 6) ? (extra.Chance(1, 2) ? MachineConfig.HotaddGranule : 1UL << 30) : 0;
        return gmem || hotadd != 0 ? machine.With(guestMemfd: gmem, hotaddBytes: hotadd) : machine;
    }
}
