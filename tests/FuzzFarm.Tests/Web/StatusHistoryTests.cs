using System.Xml.Linq;
using FuzzFarm.Farm;
using FuzzFarm.Host.Web;

namespace FuzzFarm.Tests.Web;

/// <summary>The dashboard's plots over time: samples of the status, kept, thinned, persisted, drawn.</summary>
public sealed class StatusHistoryTests : IDisposable
{
    private static readonly XNamespace _svg = "http://www.w3.org/2000/svg";
    private static readonly DateTimeOffset _t0 = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-history-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static DashboardSnapshot At(double seconds, long executions, int features, int findings, string campaign = "default") => new(
        _t0.AddSeconds(seconds),
        [
            new CampaignStatus
            {
                Name = campaign, State = "running", Findings = findings, Executions = executions,
                Machines = [new MachineStatus { Key = $"{campaign}/realm-v2/strict/0-1", Executions = executions, Features = features, Findings = findings }],
            },
        ],
        []);

    [Fact]
    public void Samples_AreKeptAndPersisted_NothingNewIsNotANewPoint_AndACutLineIsSkipped()
    {
        var file = Path.Combine(_dir, "history.jsonl");
        var h = new StatusHistory(file);
        h.Add(new DashboardSnapshot(_t0, [], [])); // before the campaign started: no point
        h.Add(At(0, 0, 10, 0));
        h.Add(At(5, 1000, 20, 1));
        h.Add(At(10, 1000, 20, 1)); // nothing moved (a finished campaign being served)
        Assert.Equal(2, h.Samples.Count);
        File.AppendAllText(file, "{\"time\":\"2026-12-05T09:0"); // a crash in the middle of a line
        var again = new StatusHistory(file);
        Assert.Equal(h.Samples.Select(s => s.Time), again.Samples.Select(s => s.Time));
        Assert.Equal(1000, again.Samples[^1].Machines.Single().Executions);
        Assert.Equal(1, again.Samples[^1].Campaigns.Single().RootCauses);
    }

    [Fact]
    public void AFullHistory_DropsEveryOtherSample_KeepingTheFirstAndTheLast()
    {
        var h = new StatusHistory();
        for (var i = 0; i <= StatusHistory.Capacity; i++) h.Add(At(i * 5, i * 100L, i, 0));
        var samples = h.Samples;
        Assert.InRange(samples.Count, StatusHistory.Capacity / 2, StatusHistory.Capacity);
        Assert.Equal(_t0, samples[0].Time);
        Assert.Equal(_t0.AddSeconds(StatusHistory.Capacity * 5), samples[^1].Time);
        Assert.Equal(samples.Select(s => s.Time).Order(), samples.Select(s => s.Time));
    }

    [Fact]
    public void Plots_DrawRateFeaturesAndRootCauses_PerCampaign_WithALegend_AndASparklinePerMachine()
    {
        var h = new StatusHistory();
        h.Add(At(0, 0, 10, 0));
        h.Add(At(5, 1000, 20, 1));
        h.Add(At(10, 3000, 25, 2));
        var html = PlotsSection.Render(h.Samples);
        var root = XDocument.Parse("<div>" + html.Replace("&", "&amp;", StringComparison.Ordinal) + "</div>").Root!;
        var svgs = root.Descendants(_svg + "svg").Where(s => (string?)s.Attribute("class") == "plot").ToDictionary(s => (string)s.Attribute("id")!);
        Assert.Equal(["plot-features", "plot-rate", "plot-root-causes"], svgs.Keys.Order(StringComparer.Ordinal));
        foreach (var svg in svgs.Values)
        {
            var line = Assert.Single(svg.Descendants(_svg + "polyline"));
            Assert.Equal("default", (string?)line.Attribute("data-series"));
            Assert.Contains(svg.Descendants(_svg + "text"), t => (string?)t.Attribute("class") == "plot-legend" && t.Value == "default");
        }

        // The rate is the change between samples: 200/s, then 400/s (the y axis tops at the largest).
        Assert.Equal(2, svgs["plot-rate"].Descendants(_svg + "polyline").Single().Attribute("points")!.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains(svgs["plot-rate"].Descendants(_svg + "text"), t => t.Value == "400");
        Assert.Contains(svgs["plot-root-causes"].Descendants(_svg + "text"), t => t.Value == "2");
        Assert.Contains("default/realm-v2/strict/0-1", html, StringComparison.Ordinal);
        Assert.Equal(2, root.Descendants(_svg + "svg").Count(s => (string?)s.Attribute("class") == "spark"));
    }

    [Fact]
    public void Plots_WaitForTwoSamples()
    {
        var h = new StatusHistory();
        h.Add(At(0, 0, 10, 0));
        Assert.Contains("appear after two samples", PlotsSection.Render(h.Samples), StringComparison.Ordinal);
    }
}
