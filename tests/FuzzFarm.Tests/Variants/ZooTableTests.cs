using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Variants;

/// <summary>
/// The bug zoo (domain doc §6) as a table: each tests/corpus/Z*.trace replayed on every variant must show its
/// defining invariants on exactly the listed versions, in the environment the trace declares.
/// </summary>
public sealed class ZooTableTests
{
    private const string A = "a166563", B = "ce2b3a5", C = "realm-v1", D = "realm-v2", E = "realm-v2-trylock";
    private const string E2 = "realm-v2-trylock-held", F = "bbml2-uncond", Canary = "canary";
    private const string L3 = "bbml3", Rsi = "realm-rsi-early";

    /// <summary>Row → (invariant[:detail] that define it, versions where all of them are reported).</summary>
    private static readonly Dictionary<string, (string[] Defining, string[] Versions)> _table = new()
    {
        ["Z1"] = (["walker-warn", "realm-share-failed"], [A, B]),
        ["Z2"] = (["sleep-in-atomic"], [A]),
        ["Z3"] = (["tlb-conflict"], [C, D, F, L3, Rsi, Canary]),
        ["Z4"] = (["tlb-conflict"], [C, D, F, L3, Rsi, Canary]),
        ["Z5"] = (["split-warn:page_alloc_available"], [C, D, E, E2, F, L3, Rsi, Canary]),
        ["Z6"] = (["walker-warn", "realm-share-failed"], [D, E, E2, L3, Canary]),
        ["Z7"] = (["split-warn:num_online_cpus", "spurious-ebusy"], [C]),
        ["Z8"] = (["tlb-conflict"], [C, D, E, F, L3, Rsi, Canary]),
        ["Z9"] = (["perm-not-applied"], [A, B, C, D, E, E2, F, L3, Rsi, Canary]),
        ["parallel-bringup"] = (["tlb-conflict"], [C, D, E, E2, F, L3, Rsi, Canary]),
        ["bbml3-id-register"] = (["tlb-conflict", "late-cpu-admitted"], [L3]),
        ["hotadd-realm"] = (["walker-warn", "realm-share-failed"], [D, E, E2, L3, Canary]),
        ["gmem-folio"] = (["perm-not-applied"], [A, B, C, D, E, E2, F, L3, Rsi, Canary]),
    };

    public static TheoryData<string> Rows => [.. _table.Keys];

    [Theory]
    [MemberData(nameof(Rows))]
    public void Row_ReproducesOnExactlyItsVersions(string row)
    {
        var program = Corpus.Load(row);
        var (defining, versions) = _table[row];
        var mismatches = new List<string>();
        foreach (var variant in VariantCatalog.All)
        {
            var reported = Corpus.Reported(program, variant);
            var shows = defining.All(d => reported.Any(v => Matches(v, d)));
            var expected = versions.Contains(variant.Id);
            if (shows != expected)
                mismatches.Add($"{variant.Id}: expected {(expected ? "" : "no ")}{string.Join("+", defining)}, got [{string.Join(",", reported.Select(v => v.Id).Distinct())}]");
        }

        Assert.True(mismatches.Count == 0, $"{row}: " + string.Join("; ", mismatches));
    }

    /// <summary>
    /// Strict rows, every version: exactly these invariants and nothing else (a strict trace is the kernel's own
    /// callers, so anything more would be a false positive or a real finding to name here). Z2's machine has
    /// debug_pagealloc: C (realm v1) refuses the frees memblock_free_all() makes before its page_alloc_available is
    /// set (its WARN storm), and __kernel_map_pages() drops the error, so the pages stay mapped.
    /// </summary>
    private static readonly Dictionary<string, Dictionary<string, string[]>> _strictExactly = new()
    {
        ["Z1"] = new() { [A] = ["walker-warn", "realm-share-failed"], [B] = ["walker-warn", "realm-share-failed"] },
        ["Z2"] = new() { [A] = ["sleep-in-atomic"], [C] = ["split-warn", "spurious-ebusy", "perm-not-applied"] },
        ["Z6"] = new()
        {
            [D] = ["walker-warn", "realm-share-failed"], [E] = ["walker-warn", "realm-share-failed"],
            [E2] = ["walker-warn", "realm-share-failed"], [Canary] = ["walker-warn", "realm-share-failed"],
            [L3] = ["walker-warn", "realm-share-failed"],
        },
        ["bbml3-id-register"] = new() { [L3] = ["tlb-conflict", "late-cpu-admitted"] },
        ["Z9"] = VariantCatalog.Ids.ToDictionary(id => id, _ => new[] { "perm-not-applied" }),
        ["hotadd-realm"] = new()
        {
            [D] = ["walker-warn", "realm-share-failed"], [E] = ["walker-warn", "realm-share-failed"],
            [E2] = ["walker-warn", "realm-share-failed"], [Canary] = ["walker-warn", "realm-share-failed"],
            [L3] = ["walker-warn", "realm-share-failed"],
        },
        ["gmem-folio"] = VariantCatalog.Ids.ToDictionary(id => id, _ => new[] { "perm-not-applied" }),
    };

    public static TheoryData<string> StrictRows => [.. _strictExactly.Keys];

    [Theory]
    [MemberData(nameof(StrictRows))]
    public void StrictRow_ShowsItsInvariants_AndNothingElse_OnEveryVersion(string row)
    {
        var program = Corpus.Load(row);
        Assert.Equal(EnvMode.Strict, program.Env);
        var mismatches = new List<string>();
        foreach (var variant in VariantCatalog.All)
        {
            var reported = Corpus.Reported(program, variant).Select(v => v.Id).Distinct().Order(StringComparer.Ordinal).ToArray();
            var expected = (_strictExactly[row].GetValueOrDefault(variant.Id) ?? []).Order(StringComparer.Ordinal).ToArray();
            if (!reported.SequenceEqual(expected))
                mismatches.Add($"{variant.Id}: expected [{string.Join(",", expected)}], got [{string.Join(",", reported)}]");
        }

        Assert.True(mismatches.Count == 0, $"{row}: " + string.Join("; ", mismatches));
    }

    [Fact]
    public void Z4_TrylockVariantsRefuseWithEbusyAndNeverConflict()
    {
        var program = Corpus.Load("Z4");
        foreach (var id in new[] { E, E2 })
        {
            var reported = Corpus.Reported(program, VariantCatalog.Get(id));
            Assert.DoesNotContain(reported, v => v.Invariant == Invariant.TlbConflict);
            Assert.Contains(reported, v => v.Invariant == Invariant.SplitWarn && v.Detail == "update_range_prot");
        }
    }

    [Fact]
    public void Z5_NoVariantEverAllocatesBeforeThePageAllocator()
    {
        var program = Corpus.Load("Z5");
        Assert.All(VariantCatalog.All, v =>
            Assert.DoesNotContain(Corpus.Reported(program, v), x => x.Invariant == Invariant.AllocBeforePageAllocator));
    }

    [Fact]
    public void Z9_FixedWalkerAppliesTheDecryptOnEveryVariant()
    {
        var program = Corpus.Load("Z9");
        var fixedWalker = program.WithMachine(program.Machine.With(walker: WalkerMode.Leaf));
        Assert.All(VariantCatalog.All, v => Assert.Empty(Corpus.Reported(fixedWalker, v)));
    }

    [Fact]
    public void StrictTraces_NeedNoAssumption_AndAdversarialOnesNameTheirs()
    {
        Assert.DoesNotContain(Corpus.Reported(Corpus.Load("Z3"), VariantCatalog.Get(D)),
            v => v.Assumptions == Assumptions.None && v.Invariant == Invariant.TlbConflict);
        var z8 = Corpus.Reported(Corpus.Load("Z8"), VariantCatalog.Get(E)).First(v => v.Invariant == Invariant.TlbConflict);
        // No kernel caller changes permissions during smp_init (caller catalog): that is an assumption of its own.
        Assert.Equal(Assumptions.AsyncDuringSmp | Assumptions.PreemptedCall | Assumptions.NoKnownCaller, z8.Assumptions);
        var z3 = Corpus.Reported(Corpus.Load("Z3"), VariantCatalog.Get(D)).First(v => v.Invariant == Invariant.TlbConflict);
        Assert.Equal(Assumptions.AsyncDuringSmp | Assumptions.NoKnownCaller, z3.Assumptions);
    }

    [Fact]
    public void Z6_AnRsiProbeBeforeMapMemClosesIt()
    {
        var program = Corpus.Load("Z6");
        Assert.Contains(Corpus.Reported(program, VariantCatalog.Get(D)), v => v.Invariant == Invariant.RealmShareFailed);
        Assert.Empty(Corpus.Reported(program, VariantCatalog.Get(Rsi)));
    }

    [Fact]
    public void HotaddRealm_TheHotAddedRamIsBlockMapped_AndTheSameTraceWithoutTheHotAddNamesNoRam()
    {
        // Open question 8: after FINALIZE force_pte_mapping() is false on BBML2 hardware, so the new RAM is a PUD block.
        var program = Corpus.Load("hotadd-realm");
        var machine = new Machine(program.Machine, VariantCatalog.Get(D));
        machine.Run(program.Events.AsSpan()[..2]);
        var ram = program.Machine.RamBytes;
        var leaf = machine.Kernel.Map[machine.Kernel.Map.Find(ram + (2UL << 20))];
        Assert.Equal(Level.Pud, leaf.Level);
        Assert.True(machine.Kernel.HotaddMapped);

        // realm-rsi-early (the realm known at map_mem()) shares the page: requires_bbml2 is true there.
        Assert.Empty(Corpus.Reported(program, VariantCatalog.Get(Rsi)));
    }

    [Fact]
    public void GmemFolio_FixedWalkerIsClean_AndWithoutCanSetDirectMapNothingIsCalled()
    {
        var program = Corpus.Load("gmem-folio");
        var fixedWalker = program.WithMachine(program.Machine.With(walker: WalkerMode.Leaf));
        Assert.All(VariantCatalog.All, v => Assert.Empty(Corpus.Reported(fixedWalker, v)));

        // rodata=noalias, no KFENCE, no debug_pagealloc, no realm: can_set_direct_map() is false and guest_memfd
        // keeps its folios mapped, so the old walker has nothing to skip — except on F, whose can_set_direct_map()
        // is also true when BBML2_NOABORT holds: there guest_memfd removes the folio and the old walker loses it.
        var noDirectMap = program.WithMachine(program.Machine.With(rodata: RodataMode.NoAlias));
        Assert.All(VariantCatalog.All.Where(v => v.Id != F), v => Assert.Empty(Corpus.Reported(noDirectMap, v)));
        Assert.Equal(["perm-not-applied"], Corpus.Reported(noDirectMap, VariantCatalog.Get(F)).Select(v => v.Id).Distinct());
    }

    [Fact]
    public void Catalog_HasEveryVersionWithStableIdsInHistoryOrder()
    {
        Assert.Equal([A, B, C, D, E, E2, F, L3, Rsi, Canary], VariantCatalog.Ids);
        Assert.All(VariantCatalog.All, v => Assert.False(string.IsNullOrWhiteSpace(v.Provenance)));
    }

    private static bool Matches(Violation v, string spec)
    {
        var parts = spec.Split(':', 2);
        return v.Id == parts[0] && (parts.Length == 1 || v.Detail == parts[1]);
    }
}
