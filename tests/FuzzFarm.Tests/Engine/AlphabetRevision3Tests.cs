using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Engine;

/// <summary>The explorer's alphabet and the fuzzer's operations take the revision-3 callers only on machines that have them.</summary>
public sealed class AlphabetRevision3Tests
{
    private static readonly MachineConfig Plain = new([CpuSpec.WithBbml2(true), CpuSpec.WithBbml2(true)], realm: true, rodata: RodataMode.NoAlias);
    private static readonly MachineConfig Rich = Plain.With(guestMemfd: true, hotaddBytes: 1UL << 30);

    [Fact]
    public void MachinesWithoutTheKeys_KeepTheirAlphabetAndOperations()
    {
        Assert.Equal([CallOp.SetMemoryRo, CallOp.SetMemoryDecrypted], Alphabet.Default(Plain).Calls.Select(c => c.Op));
        var ops = new MutationContext(Plain, new InMemoryCorpus()).Ops;
        Assert.DoesNotContain(ops, op => (int)op >= TraceNames.Revision1OpCount);
        Assert.Contains(CallOp.ArchAddMemory, new MutationContext(Rich, new InMemoryCorpus()).Ops);
        Assert.Contains(CallOp.GmemFolioZapDirectMap, new MutationContext(Rich, new InMemoryCorpus()).Ops);
    }

    [Fact]
    public void HotAdd_IsOfferedOnceAfterFinalize_OnCpu0_AndItsRamOnlyAfterIt()
    {
        var alphabet = Alphabet.Default(Rich);
        Assert.Contains(alphabet.Calls, c => c.Op == CallOp.GmemFolioZapDirectMap && EventValidator.IsFolio(c.Page, c.Pages));
        var hotPage = Alphabet.HotaddPage(Rich);
        bool Offers(StateSummary s, Func<MachineEvent, bool> what) => alphabet.Events(s, 9).Any(what);
        bool IsAdd(MachineEvent e) => e.Kind == EventKind.Call && e.Op == CallOp.ArchAddMemory;
        bool IsHot(MachineEvent e) => e.Kind == EventKind.Call && e.Page == hotPage;

        var smp = new StateSummary(BootPhase.SmpInit, 1, 1, ReadOnlyMemory<ActiveTask>.Empty);
        var runtime = new StateSummary(BootPhase.Runtime, 3, 3, ReadOnlyMemory<ActiveTask>.Empty);
        Assert.False(Offers(smp, IsAdd));
        Assert.True(Offers(runtime, IsAdd));
        Assert.DoesNotContain(alphabet.Events(runtime, 9), e => IsAdd(e) && e.Cpu != 0);
        Assert.False(Offers(runtime, IsHot));
        var added = runtime with { HotaddStarted = true };
        Assert.False(Offers(added, IsAdd));
        Assert.True(Offers(added, IsHot));
    }

    [Fact]
    public void EventGen_DrawsFolios_TheHotAdd_AndHotAddedPages_OnlyWhereTheMachineHasThem()
    {
        var ctx = new MutationContext(Rich, new InMemoryCorpus());
        var rng = new Prng(0x18_0007UL);
        int adds = 0, zaps = 0, hot = 0;
        for (var i = 0; i < 3000; i++)
        {
            var ev = EventGen.Call(ref rng, ctx);
            if (ev.Op == CallOp.ArchAddMemory)
            {
                adds++;
                Assert.Equal((0u, (ushort)0), (ev.Page, ev.Pages));
            }

            if (TraceNames.IsGmemOp(ev.Op))
            {
                zaps++;
                Assert.True(EventValidator.IsFolio(ev.Page, ev.Pages), $"not a folio: {ev}");
            }

            if (TraceNames.TakesRange(ev.Op) && ev.Page >= ctx.RamPages) hot++;
        }

        Assert.True(adds > 0 && zaps > 0 && hot > 0, $"adds {adds}, folio ops {zaps}, hot-added pages {hot}");

        var plain = new MutationContext(Plain, new InMemoryCorpus());
        var prng = new Prng(0x18_0007UL);
        for (var i = 0; i < 3000; i++)
        {
            var ev = EventGen.Call(ref prng, plain);
            Assert.True((int)ev.Op < TraceNames.Revision1OpCount && ev.Page + ev.Pages <= plain.RamPages, $"{ev}");
        }
    }
}
