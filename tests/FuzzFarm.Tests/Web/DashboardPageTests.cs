using System.Text.Json;
using FuzzFarm.Farm;
using FuzzFarm.Host.Web;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Web;

/// <summary>The pages without a silo: what they contain, and that nothing from the farm reaches the HTML unencoded.</summary>
public sealed class DashboardPageTests
{
    private const string Hostile = "<script>alert('x')</script>";
    private static readonly DateTimeOffset _now = new(2026, 4, 2, 12, 0, 0, TimeSpan.Zero);

    private static DashboardSnapshot Snapshot()
    {
        var finding = FindingMarkdownTests.Z3Record();
        finding.SignatureKey = "e'--tlb-conflict--0000abcd";
        var odd = FindingMarkdownTests.Z3Record();
        odd.SignatureKey = "canary--walker-warn--0000beef";
        odd.Title = Hostile;
        odd.Invariant = "walker-warn";
        odd.Env = Hostile;
        var campaign = new CampaignStatus
        {
            Name = Hostile, State = "running", Executions = 60_000, Findings = 2, Started = _now.AddSeconds(-60),
            Machines = [new MachineStatus { Key = "m0", Running = true, Executions = 60_000 }, new MachineStatus { Key = "m1" }],
        };
        return new DashboardSnapshot(_now, [campaign], [finding, odd]);
    }

    [Fact]
    public void Dashboard_EncodesEverythingFromTheFarm()
    {
        var html = DashboardPage.Render(Snapshot());
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/findings/e%27--tlb-conflict--0000abcd\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashboard_HasTheCampaignRow_TheFindingsTable_TheRateAndTheMetricsLink()
    {
        var html = DashboardPage.Render(Snapshot());
        Assert.Contains("<span id=\"exec-rate\">1,000</span>", html, StringComparison.Ordinal); // 60,000 executions in 60 s
        Assert.Contains("<td class=\"num\" data-machines>1 / 2</td>", html, StringComparison.Ordinal);
        Assert.Contains("<table id=\"findings\">", html, StringComparison.Ordinal);
        Assert.Equal(4, html.Split("class=\"finding-link\"").Length - 1); // each finding in the verdict table and in the list
        Assert.Contains("<table id=\"verdicts\">", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("id=\"verdicts\"", StringComparison.Ordinal) < html.IndexOf("id=\"campaigns\"", StringComparison.Ordinal), "the verdict table is the first view");
        Assert.Equal(2 * FuzzFarm.Variants.VariantCatalog.All.Count, html.Split("<td class=\"cell ").Length - 1);
        Assert.Contains("href=\"/metrics\"", html, StringComparison.Ordinal);
        Assert.Contains("fetch('/api/status'", html, StringComparison.Ordinal);
    }

    [Fact]
    public void StatusDocument_SumsCampaignsAndFindings()
    {
        var json = JsonSerializer.Serialize(Snapshot().ToDocument());
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(60_000, root.GetProperty("total_executions").GetInt64());
        var campaign = root.GetProperty("campaigns")[0];
        Assert.Equal(Hostile, campaign.GetProperty("name").GetString());
        Assert.Equal(1, campaign.GetProperty("machines").GetProperty("running").GetInt32());
        Assert.Equal(2, campaign.GetProperty("machines").GetProperty("total").GetInt32());
        Assert.Equal(2, root.GetProperty("findings").GetProperty("count").GetInt32());
        Assert.Equal(1, root.GetProperty("findings").GetProperty("by_invariant").GetProperty("walker-warn").GetInt32());
    }

    [Fact]
    public void FindingPage_HasTimelineMatrixTraceAndLinks()
    {
        var record = FindingMarkdownTests.Z3Record();
        record.SignatureKey = "e'--tlb-conflict--0000abcd";
        var html = FindingPage.Render(FindingAnalysis.Of(record));
        Assert.Contains("<svg id=\"timeline\"", html, StringComparison.Ordinal);
        Assert.Contains("<pre id=\"trace\">" + System.Net.WebUtility.HtmlEncode(record.SmallestTrace) + "</pre>", html, StringComparison.Ordinal);
        Assert.Contains("<a id=\"download\" href=\"/findings/e%27--tlb-conflict--0000abcd.trace\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/findings/e%27--tlb-conflict--0000abcd.md\"", html, StringComparison.Ordinal);
        Assert.Equal(VariantCatalog.All.Count, html.Split(" data-variant=\"").Length - 1);
        Assert.Contains("<td>introduced in</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>fixed in</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void FindingPage_WithAnUnreadableTrace_StillRenders_AndSaysWhy()
    {
        var record = FindingMarkdownTests.Z3Record();
        record.SmallestTrace = "not a trace " + Hostile;
        var html = FindingPage.Render(FindingAnalysis.Of(record));
        Assert.Contains("class=\"problem\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<svg", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
    }

    [Fact]
    public void NotFound_NamesTheKey_Encoded()
    {
        var html = FindingPage.NotFound("x'--" + Hostile);
        Assert.Contains("<code id=\"missing-key\">x&#39;--&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
    }
}

/// <summary>The dashboard's fragmentation table: per version, the machines' sums divided by their executions.</summary>
public sealed class DashboardFragmentationTests
{
    [Fact]
    public void Fragmentation_IsPerVersionPerExecution_FromTheMachinesSums()
    {
        var campaign = new CampaignStatus
        {
            Name = "c", State = "finished",
            Machines =
            [
                new MachineStatus { Key = "c/realm-v2/strict/0-a", FragmentationExecutions = 10, TablePages = 20, BlockBytesLost = 10L << 21, Leaves = 5_120 },
                new MachineStatus { Key = "c/realm-v2/adversarial/0-a", FragmentationExecutions = 30, TablePages = 100, BlockBytesLost = 30L << 21, Leaves = 15_360 },
                new MachineStatus { Key = "c/canary/strict/0-a", FragmentationExecutions = 0, TablePages = 7 },
            ],
        };
        var html = DashboardPage.Render(new DashboardSnapshot(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero), [campaign], []));
        Assert.Contains("<table id=\"fragmentation\">", html, StringComparison.Ordinal);
        // realm-v2: 40 executions, 120 pages (3.0 per execution), 40 × 2 MiB (2.0 MiB), 20,480 leaves (512.0).
        Assert.Contains("<tr data-version=\"realm-v2\"><td><span class=\"tag\">realm-v2</span></td><td class=\"num\">40</td><td class=\"num\">512.0</td>" +
            "<td class=\"num\" data-table-pages>3.0</td><td class=\"num\">2.0</td></tr>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-version=\"canary\"", html, StringComparison.Ordinal); // no executions to divide by
    }
}
