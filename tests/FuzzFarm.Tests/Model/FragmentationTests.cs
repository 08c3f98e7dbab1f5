using FuzzFarm.Model;
using static FuzzFarm.Tests.Model.M;

namespace FuzzFarm.Tests.Model;

/// <summary>Fragmentation counters (§9) against layouts computed by hand.</summary>
public sealed class FragmentationTests
{
    private const ulong Ki = 1UL << 10;

    private static readonly MachineEvent[] LatePool = [Phase(BootPhase.Runtime), Call(1, CallOp.KfenceInitLate, 0, pages: 0)];

    private static Leaf LeafAt(Machine m, ulong offset) =>
        m.Kernel.Map.Runs.ToArray().Single(r => r.Start <= offset && offset < r.End);

    [Fact]
    public void LateKfencePool_InAPudBlock_CostsTwoTablePages()
    {
        // 4 GiB of RAM, [3 GiB, 4 GiB) one PUD block at boot; the late pool is [0xe020_0000, +2 MiB), 2 MiB aligned.
        // range_split_to_ptes(): split_pud() → 1 PMD table of 512 non-CONT PMD blocks; the one PMD the pool covers,
        // split_pmd() → 1 PTE table of 512 PTEs. Table pages 1 + 1 = 2; leaves 512 PMD + 512 PTE; no CONT group
        // (the PMDs of a split PUD are non-CONT); block bytes lost: the pool's 2 MiB (the rest is still PMD blocks).
        var m = Run(AllBbml2.With(kfence: KfenceMode.Late), V("ce2b3a5"), LatePool);
        Assert.Equal("", m.Ids());
        Assert.Equal(new Fragmentation(512, 0, 512, 0, 2, 0, 2 * (long)Mi), m.Kernel.Fragmentation);
        Assert.Equal((Level.Pte, false), (LeafAt(m, 0xe020_0000).Level, LeafAt(m, 0xe020_0000).Cont));
        Assert.Equal((Level.Pte, false), (LeafAt(m, 0xe03f_f000).Level, LeafAt(m, 0xe03f_f000).Cont));
        Assert.Equal((Level.Pmd, false), (LeafAt(m, 0xe01f_f000).Level, LeafAt(m, 0xe01f_f000).Cont));
        Assert.Equal((Level.Pmd, false), (LeafAt(m, 0xe040_0000).Level, LeafAt(m, 0xe040_0000).Cont));
        Assert.Equal((Level.Pmd, false), (LeafAt(m, 3 * G).Level, LeafAt(m, 3 * G).Cont));
    }

    [Fact]
    public void LateKfencePool_StraddlingTwoPmdsOfACont_Group_BreaksTheGroupAndSplitsBoth()
    {
        // [32 MiB, 64 MiB) is one CONT-PMD group at boot. Pool [48 MiB + 4 KiB, 50 MiB + 4 KiB) touches the PMDs at
        // 48 MiB and 50 MiB: split_contpmd() → 1 group broken (16 non-CONT PMDs, no leaf written at a new level);
        // split_pmd() twice → 2 PTE tables, 2 × 512 = 1024 PTEs; block bytes lost 2 × 2 MiB = 4 MiB.
        var machine = AllBbml2.With(kfence: KfenceMode.Late, kfencePoolOffset: (48 * Mi) + (4 * Ki));
        var m = Run(machine, V("ce2b3a5"), LatePool);
        Assert.Equal("", m.Ids());
        Assert.Equal(new Fragmentation(0, 0, 1024, 0, 2, 1, 4 * (long)Mi), m.Kernel.Fragmentation);
        Assert.Equal((Level.Pmd, false), (LeafAt(m, 32 * Mi).Level, LeafAt(m, 32 * Mi).Cont));
        Assert.Equal((Level.Pte, false), (LeafAt(m, 51 * Mi).Level, LeafAt(m, 51 * Mi).Cont));
        Assert.Equal((Level.Pmd, false), (LeafAt(m, 52 * Mi).Level, LeafAt(m, 52 * Mi).Cont));
        Assert.Equal((Level.Pmd, true), (LeafAt(m, 64 * Mi).Level, LeafAt(m, 64 * Mi).Cont));
    }

    [Fact]
    public void OnePageSplit_InAPudBlock_CountsPublishedLeavesAtTheirLevels()
    {
        // split_kernel_leaf_mapping() of one page in a PUD block: split_pud(to_cont) → 1 table of 512 CONT-PMD
        // blocks; split_pmd(to_cont) → 1 table of 512 CONT-PTEs; then the CONT-PTE group of the page and the
        // CONT-PMD group around it lose PTE_CONT (2 groups). 2 table pages; 2 MiB no longer block-mapped.
        var m = Run(AllBbml2, V("realm-v2"), Phase(BootPhase.Runtime), Call(1, CallOp.SetMemoryValid, InPud, enable: false));
        var f = m.Kernel.Fragmentation;
        Assert.Equal(2, f.TablePages);
        Assert.Equal(512, f.ContPmdLeaves);
        Assert.Equal(512, f.ContPteLeaves);
        Assert.Equal(2 * (long)Mi, f.BlockBytesLost);
        Assert.Equal(2, f.ContGroupsBroken);
    }
}
