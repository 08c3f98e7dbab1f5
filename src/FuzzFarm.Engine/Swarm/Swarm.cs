using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Swarm testing (TigerBeetle's options_swarm): a machine shape drawn from the seed — CPU count, which CPUs lack
/// BBML2_NOABORT, rodata mode, KFENCE, realm, debug_pagealloc, bring-up mode — so that one campaign covers
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

        return new MachineConfig(
            specs,
            rodata: rng.Below(4) switch { 0 => RodataMode.Off, 1 => RodataMode.NoAlias, _ => RodataMode.On },
            debugPagealloc: rng.Chance(1, 5),
            kfence: rng.Below(3) switch { 0 => KfenceMode.Off, 1 => KfenceMode.Early, _ => KfenceMode.Late },
            realm: rng.Chance(1, 4),
            bringup: cpus > 2 && rng.Chance(1, 4) ? BringupMode.Parallel : BringupMode.Serial);
    }
}
