using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Model;

/// <summary>Guard coverage: each live guard read a call logs, counted once with its answer.</summary>
public sealed class GuardCoverageTests
{
    public static TheoryData<string> Traces => [.. Directory.GetFiles(Corpus.Dir, "*.trace").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal)];

    /// <summary>
    /// On every corpus trace and version: the tally equals the guard reads the timeline logged, answer by answer
    /// (resumed calls re-read their logged answers without being counted again; the timeline logs live reads only).
    /// </summary>
    [Theory]
    [MemberData(nameof(Traces))]
    public void Counts_AreTheLiveGuardReadsTheTimelineLogs_AnswerByAnswer(string trace)
    {
        var program = Corpus.Load(trace);
        foreach (var variant in VariantCatalog.All)
        {
            var replay = Replayer.Replay(program, variant, EnvMode.Adversarial);
            Assert.NotNull(replay.Guards);
            foreach (var g in GuardCoverage.Guards.ToArray())
            {
                var reads = replay.Timeline.Where(e => e.Kind == TimelineKind.Primitive && e.Point == g).ToList();
                var yes = reads.Count(e => g == Point.NumOnlineCpus ? e.Value > 1 : e.Value != 0);
                Assert.True(yes == replay.Guards.Of(g, true), $"{trace} on {variant.Id}: {Points.Name(g)} true/>1: tally {replay.Guards.Of(g, true)}, timeline {yes}");
                Assert.True(reads.Count - yes == replay.Guards.Of(g, false), $"{trace} on {variant.Id}: {Points.Name(g)} false: tally {replay.Guards.Of(g, false)}, timeline {reads.Count - yes}");
            }
        }
    }

    [Fact]
    public void Z3_OnTheTrylockVersion_TheTrylockFails_OnRealmV2_ItIsNeverRead()
    {
        var program = Corpus.Load("Z3");
        var trylock = Replayer.Replay(program, VariantCatalog.Get("realm-v2-trylock"), EnvMode.Adversarial);
        Assert.True(trylock.Guards!.Of(Point.CpusReadTrylock, false) >= 1, "the booting CPU holds cpu_hotplug_lock: the trylock must fail");
        Assert.DoesNotContain(trylock.Reported, v => v.Invariant == Invariant.TlbConflict);
        var v2 = Replayer.Replay(program, VariantCatalog.Get("realm-v2"), EnvMode.Adversarial);
        Assert.Equal(0, v2.Guards!.Of(Point.CpusReadTrylock, false) + v2.Guards.Of(Point.CpusReadTrylock, true));
        Assert.True(v2.Guards.Of(Point.NumOnlineCpus, false) >= 1, "realm-v2 sees one CPU online while CPU 1 has its MMU on");
    }

    [Fact]
    public void ASession_TalliesItsExecutions_Reproducibly_AndTheTallyRoundTripsThroughItsDictionary()
    {
        GuardCoverage Run()
        {
            var s = new FuzzSession(new FuzzOptions
            {
                Variant = VariantCatalog.Get("realm-v2-trylock"), Machine = TraceParser.ParseMachine("cpus=2 bbml2=0 ram=4G"), Env = EnvMode.Adversarial, Seed = 11,
            });
            s.RunSlice(3000);
            return s.Guards;
        }

        var a = Run();
        var b = Run();
        Assert.Equal(a.ToDictionary(), b.ToDictionary());
        Assert.True(a.Of(Point.CpusReadTrylock, true) > 0, "3,000 executions never passed the trylock");
        var copy = new GuardCoverage();
        copy.Add(a.ToDictionary());
        copy.Add(a);
        foreach (var g in GuardCoverage.Guards.ToArray())
            Assert.Equal(2 * a.Of(g, false), copy.Of(g, false));
        Assert.Equal("cpus_read_trylock() failed", GuardCoverage.Describe(Point.CpusReadTrylock, false));
    }
}
