using System.Globalization;
using System.Xml.Linq;
using FuzzFarm.Engine;
using FuzzFarm.Host.Web;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Web;

/// <summary>The timeline picture's structure: lanes, MMU-on windows, splits and violations where the replay put them.</summary>
public sealed class TimelineSvgTests
{
    private static readonly XNamespace _svg = "http://www.w3.org/2000/svg";

    private sealed record Picture(EventProgram Program, VariantReplay Replay, TimelineLayout Layout, XElement Root)
    {
        public IEnumerable<XElement> WithClass(string css) =>
            Root.Descendants().Where(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(css) == true);
    }

    private static Picture Draw(EventProgram program, string variant)
    {
        var replay = Replayer.Replay(program, VariantCatalog.Get(variant), program.Env ?? EnvMode.Adversarial);
        var svg = TimelineSvg.Render(program, replay);
        var root = XDocument.Parse(svg).Root!; // well-formed XML, or this throws
        return new Picture(program, replay, new TimelineLayout(replay.Timeline, program.Machine.Cpus, program.Events.Length), root);
    }

    private static Picture Draw(string corpusName, string variant) => Draw(Corpus.Load(corpusName), variant);

    private static double D(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private static int I(XElement e, string attribute) => int.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    [Fact]
    public void Svg_IsTheTimelineElement_WithATitleAndALegend()
    {
        var p = Draw("Z3", "realm-v2");
        Assert.Equal(_svg + "svg", p.Root.Name);
        Assert.Equal("timeline", (string?)p.Root.Attribute("id"));
        Assert.Contains("realm-v2", p.Root.Element(_svg + "title")!.Value, StringComparison.Ordinal);
        var legend = string.Join(" ", p.WithClass("legend").Single().Descendants(_svg + "text").Select(t => t.Value));
        Assert.Contains("split", legend, StringComparison.Ordinal);
        Assert.Contains("violation", legend, StringComparison.Ordinal);
        Assert.Contains("MMU on", legend, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public void Lanes_AreOnePerCpu_LabelledCpuN(int cpus)
    {
        var text = File.ReadAllText(Corpus.PathOf("Z3")).Replace("cpus=2", $"cpus={cpus}", StringComparison.Ordinal);
        var p = Draw(TraceParser.Parse(text), "realm-v2");
        var lanes = p.WithClass("lane").ToList();
        Assert.Equal(cpus, lanes.Count);
        Assert.Equal(Enumerable.Range(0, cpus).Select(c => $"CPU {c}"), lanes.Select(l => l.Descendants(_svg + "text").First(t => (string?)t.Attribute("class") == "lane-label").Value));
        Assert.Equal(Enumerable.Range(0, cpus), lanes.Select(l => I(l, "data-cpu")));
    }

    [Fact]
    public void LaneNotes_SayWhichCpuLacksBbml2NoAbort_AndWhereDetectionAndHardwareDiffer()
    {
        var text = File.ReadAllText(Corpus.PathOf("Z3"));
        var machine = text.Split('\n').First(l => l.StartsWith("machine ", StringComparison.Ordinal));
        var p = Draw(TraceParser.Parse(text.Replace(machine, "machine cpus=4 bbml2=0,2 bbml2-hw=0,1 ram=4G", StringComparison.Ordinal)), "realm-v2");
        var notes = p.WithClass("lane-caps").Select(t => t.Value).ToList();
        Assert.Equal(["BBML2_NOABORT", "not admitted; hw ok", "admitted; hw aborts", "no BBML2_NOABORT"], notes);
        Assert.Equal(["#57606a", "#cf222e", "#cf222e", "#cf222e"], p.WithClass("lane-caps").Select(t => (string)t.Attribute("fill")!));
    }

    [Fact]
    public void TheFindingsViolation_IsLabelled_AndSoIsTheSplitThatCausedIt()
    {
        var program = Corpus.Load("Z3");
        var replay = Replayer.Replay(program, VariantCatalog.Get("realm-v2"), EnvMode.Adversarial);
        var conflict = replay.Reported.First(v => v.Invariant == Invariant.TlbConflict);
        var root = XDocument.Parse(TimelineSvg.Render(program, replay, v => v.Invariant == Invariant.TlbConflict)).Root!;
        var labels = root.Descendants(_svg + "text").Where(t => (string?)t.Attribute("class") == "finding-label").ToList();
        Assert.Equal($"tlb-conflict in {Points.Name(conflict.Where)}", Assert.Single(labels).Value);
        var split = Assert.Single(root.Descendants(_svg + "text"), t => (string?)t.Attribute("class") == "split-label");
        Assert.Equal($"the violating split: {Points.Name(conflict.Where)}", split.Value);
        // Without a finding to point at, nothing is labelled.
        var plain = XDocument.Parse(TimelineSvg.Render(program, replay)).Root!;
        Assert.DoesNotContain(plain.Descendants(_svg + "text"), t => (string?)t.Attribute("class") is "finding-label" or "split-label");
    }

    [Fact]
    public void Columns_AreOnePerEventPlusTheDrain_WithAnAxisLabel()
    {
        var p = Draw("Z3", "realm-v2");
        var columns = p.WithClass("column").ToList();
        Assert.Equal(p.Program.Events.Length + 1, columns.Count);
        Assert.Contains("cpu-up t1 cpu=1", columns[1].Element(_svg + "title")!.Value, StringComparison.Ordinal);
        Assert.Equal("drain", p.WithClass("axis").Last().Value);
    }

    [Fact]
    public void Z3_SecondaryInBringUp_HasAnMmuWindowOnItsLane_FromItsCpuUpToOnlineInTheDrain()
    {
        // Z3: cpu-up t1 cpu=1 stops at secondary_mmu_on (event 1); CPU 1 comes online only in the final drain.
        var p = Draw("Z3", "realm-v2");
        var window = Assert.Single(p.WithClass("mmu-window"));
        Assert.Equal(1, I(window, "data-cpu"));
        var (x, w, y) = (D(window, "x"), D(window, "width"), D(window, "y"));
        Assert.InRange(x, p.Layout.ColumnLeft(1), p.Layout.ColumnRight(1));
        Assert.InRange(x + w, p.Layout.ColumnLeft(3), p.Layout.ColumnRight(3));
        Assert.InRange(y, p.Layout.LaneTop(1), p.Layout.LaneBottom(1));
        Assert.Contains("online at the final drain", window.Element(_svg + "title")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Z8_SecondaryComingUpWithinOneEvent_HasAWindowInsideThatEvent()
    {
        var p = Draw("Z8", "realm-v2");
        var window = Assert.Single(p.WithClass("mmu-window"));
        Assert.Equal(1, I(window, "data-cpu"));
        Assert.InRange(D(window, "x"), p.Layout.ColumnLeft(2), p.Layout.ColumnRight(2));
        Assert.InRange(D(window, "x") + D(window, "width"), p.Layout.ColumnLeft(2), p.Layout.ColumnRight(2));
    }

    [Fact]
    public void LateCpuThatDiesEarly_HasAWindowEndingAtCpuDieEarly()
    {
        var program = TraceParser.Parse("fuzzfarm-trace 1\nmachine cpus=2 bbml2=0 ram=4G boot-cpus=1\nphase runtime\ncpu-up t1 cpu=1\n");
        var p = Draw(program, "realm-v2");
        var window = Assert.Single(p.WithClass("mmu-window"));
        Assert.Contains("died early at event 1", window.Element(_svg + "title")!.Value, StringComparison.Ordinal);
        Assert.Empty(p.WithClass("violation"));
    }

    [Fact]
    public void Z3_TlbConflict_IsARedMarkerOnCpu1sLane_InEvent2sColumn_NamingThePrimitiveAndDetail()
    {
        var p = Draw("Z3", "realm-v2");
        var expected = p.Replay.Reported.First(v => v.Invariant == Invariant.TlbConflict);
        Assert.Equal(1, expected.Cpu);
        var markers = p.WithClass("violation").Where(m => m.Element(_svg + "title")!.Value.StartsWith("tlb-conflict", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, markers.Count); // split_pud, split_contpmd, split_pmd, split_contpte
        foreach (var m in markers)
        {
            Assert.Equal(expected.EventIndex, I(m, "data-event"));
            Assert.Equal(1, I(m, "data-cpu"));
            Assert.InRange(D(m, "cx"), p.Layout.ColumnLeft(2), p.Layout.ColumnRight(2));
            Assert.Equal(p.Layout.LaneCenter(1), D(m, "cy"));
            Assert.Equal("#cf222e", (string?)m.Attribute("fill"));
        }

        var first = markers[0].Element(_svg + "title")!.Value;
        Assert.Contains("in split_pud on CPU 1", first, StringComparison.Ordinal);
        Assert.Contains(expected.Detail, first, StringComparison.Ordinal);
    }

    [Fact]
    public void Z3_Splits_AreMarkersOnTheSplittingTasksLane_EachAfterItsViolation()
    {
        var p = Draw("Z3", "realm-v2");
        var splits = p.WithClass("split").ToList();
        Assert.Equal(["split_pud", "split_contpmd", "split_pmd", "split_contpte"],
            splits.Select(s => s.Element(_svg + "title")!.Value.Split(' ')[^1]));
        Assert.All(splits, s => Assert.Equal(0, I(s, "data-cpu")));
        var conflicts = p.WithClass("violation").Where(m => m.Element(_svg + "title")!.Value.StartsWith("tlb-conflict", StringComparison.Ordinal))
            .Select(m => D(m, "cx")).ToList();
        var splitX = splits.Select(s => double.Parse(((string)s.Attribute("d")!)[1..].Split(' ')[0], CultureInfo.InvariantCulture)).ToList();
        for (var i = 0; i < splits.Count; i++) Assert.True(conflicts[i] < splitX[i], $"split {i} at {splitX[i]} is not after its conflict at {conflicts[i]}");
    }

    [Fact]
    public void FindingPredicate_EnlargesOnlyTheFindingsOwnViolations()
    {
        // Z1 on A: the walker's WARN and the realm's failed share; the finding is the failed share only.
        var program = Corpus.Load("Z1");
        var replay = Replayer.Replay(program, VariantCatalog.Get("a166563"), EnvMode.Strict);
        Assert.Contains(replay.Reported, v => v.Invariant == Invariant.WalkerWarn);
        var root = XDocument.Parse(TimelineSvg.Render(program, replay, v => v.Invariant == Invariant.RealmShareFailed)).Root!;
        var finding = root.Descendants().Where(e => ((string?)e.Attribute("class")) == "violation finding").ToList();
        var marker = Assert.Single(finding);
        Assert.StartsWith("realm-share-failed", marker.Element(_svg + "title")!.Value, StringComparison.Ordinal);
        Assert.Single(root.Descendants(), e => ((string?)e.Attribute("class")) == "violation");
    }

    [Fact]
    public void CleanReplay_HasNoViolationMarker()
    {
        var program = TraceParser.Parse("fuzzfarm-trace 1\nmachine cpus=2 bbml2=all ram=4G\nphase runtime\ncall t1 cpu=1 ctx=task set_memory_ro addr=ram+0x40201000\n");
        var p = Draw(program, "realm-v2");
        Assert.Empty(p.Replay.Violations);
        Assert.Empty(p.WithClass("violation"));
        Assert.Empty(p.WithClass("violation-masked"));
        Assert.Single(p.WithClass("event"), e => I(e, "data-cpu") == 1);
    }

    [Fact]
    public void StrictReplay_DrawsViolationsThatNeedAnAssumptionAsMasked()
    {
        // Z3's tlb-conflict needs async-during-smp: strict does not report it.
        var program = Corpus.Load("Z3");
        var replay = Replayer.Replay(program, VariantCatalog.Get("realm-v2"), EnvMode.Strict);
        var root = XDocument.Parse(TimelineSvg.Render(program, replay)).Root!;
        var classes = root.Descendants().Select(e => (string?)e.Attribute("class")).ToList();
        Assert.DoesNotContain("violation", classes);
        Assert.Contains("violation-masked", classes);
    }

    [Fact]
    public void Phases_AreBandsAlongTheTop_LabelledWithThePhaseReached()
    {
        var p = Draw("Z3", "realm-v2");
        var phase = Assert.Single(p.WithClass("phase"));
        Assert.Equal("smp-init", (string?)phase.Attribute("data-phase"));
        Assert.Contains("map-mem", phase.Element(_svg + "title")!.Value, StringComparison.Ordinal);
        var rect = phase.Element(_svg + "rect")!;
        Assert.True(D(rect, "y") + D(rect, "height") <= TimelineLayout.LanesTop, "the phase band overlaps the lanes");
    }
}
