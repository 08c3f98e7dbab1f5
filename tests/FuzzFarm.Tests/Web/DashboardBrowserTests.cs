using System.Diagnostics;
using System.Globalization;
using System.Net;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using FuzzFarm.Tests.Farm;
using FuzzFarm.Variants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FuzzFarm.Tests.Web;

/// <summary>The browser test runs alone: a silo fuzzing and Chromium rendering share the machine's two cores.</summary>
[CollectionDefinition(nameof(BrowserCollection), DisableParallelization = true)]
public sealed class BrowserCollection;

/// <summary>
/// The dashboard as a person sees it: a real silo (Kestrel, Orleans, local mode) in this process runs a short
/// realm-v2 campaign, and Debian's Chromium, driven by Playwright, opens <c>/</c>, follows a finding to its page
/// and downloads its trace. Screenshots go to <c>artifacts/web/</c>; with FUZZFARM_DOCS_SCREENSHOTS=1 the 1280×800
/// views are also written to <c>docs/</c> (the README's pictures).
/// </summary>
[Collection(nameof(BrowserCollection))]
public sealed class DashboardBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private const string CampaignName = "web";
    private const int Cpus = 2;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-web-{Guid.NewGuid():N}");
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private IHost? _silo;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    [Fact]
    [Trait("Category", "Browser")]
    public async Task Dashboard_ListsTheCampaignAndFindings_AndAFindingPageShowsTimelineTraceAndDownload()
    {
        Assert.True(File.Exists(Chromium),
            $"{Chromium} is missing: this test drives Debian's Chromium (apt-get install chromium; .ci/run installs it). Playwright must never download a browser.");
        var ct = TestContext.Current.CancellationToken;
        var (client, baseUrl) = await StartSilo(ct);
        var campaign = client.GetGrain<ICampaignGrain>(CampaignName);
        await campaign.Start(new CampaignSpec
        {
            Machines = [$"cpus={Cpus} bbml2=0 ram=4G"], Variants = ["realm-v2"], Envs = ["strict", "adversarial"], Seed = 7, MaxSeconds = 30,
        });
        var findings = await WaitForFindings(client, ct);
        Log($"{findings.Count} finding(s), {findings.Count(IsTlbConflict)} TLB conflict(s)");

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 }, BaseURL = baseUrl });
        page.SetDefaultTimeout(20_000);

        await CheckDashboard(page);
        var key = await OpenFinding(page, client);
        await CheckFindingPage(page, key);
        await CheckDownloads(page, key, baseUrl, ct);
        Log($"done in {_clock.Elapsed.TotalSeconds:F1} s");
    }

    private async Task CheckDashboard(IPage page)
    {
        var response = await page.GotoAsync("/");
        Assert.Equal(200, response!.Status);
        await Expect(page.Locator($"#campaigns tr[data-campaign=\"{CampaignName}\"]")).ToBeVisibleAsync();
        await Expect(page.Locator("#findings tbody tr").First).ToBeVisibleAsync();
        Assert.True(await page.Locator("#findings a.finding-link").CountAsync() > 0, "the findings table has no finding links");

        // The first view: root causes × versions, every row a link, one cell per shipped version, ✘ where it showed.
        var rows = page.Locator("#verdicts tr.verdict-row");
        await Expect(rows.First).ToBeVisibleAsync();
        var rowCount = await rows.CountAsync();
        Assert.Equal(await page.Locator("#findings tbody tr").CountAsync(), rowCount);
        Assert.Equal(FuzzFarm.Variants.VariantCatalog.All.Count, await rows.First.Locator("td.cell").CountAsync());
        Assert.True(await page.Locator("#verdicts td.cell.shown").CountAsync() >= rowCount, "a root cause row shows on no version");
        Assert.Equal(rowCount, await page.Locator("#verdicts a.finding-link").CountAsync());
        // Filter by a version: only the rows that show on it stay.
        var firstShown = await page.Locator("#verdicts td.cell.shown").First.GetAttributeAsync("data-version");
        await page.Locator("#filter-version").SelectOptionAsync(firstShown!);
        var visible = await page.Locator("#verdicts tr.verdict-row:not([hidden])").CountAsync();
        Assert.InRange(visible, 1, rowCount);
        Assert.Equal(visible, await page.Locator($"#verdicts tr.verdict-row:not([hidden]) td.cell.shown[data-version=\"{firstShown}\"]").CountAsync());
        await page.Locator("#filter-version").SelectOptionAsync("");
        Assert.Equal(rowCount, await page.Locator("#verdicts tr.verdict-row:not([hidden])").CountAsync());

        await Expect(page.Locator("#exec-rate")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[0-9][0-9,]*$"));

        // Two polls of /api/status: the rate is now the live one.
        await Expect(page.Locator("#updated")).ToContainTextAsync("live", new LocatorAssertionsToContainTextOptions { Timeout = 15_000 });
        var rate = await page.Locator("#exec-rate").InnerTextAsync();
        Assert.Matches(@"^[0-9][0-9,]*$", rate);
        Log($"dashboard: exec rate {rate} execs/s");

        // Guard coverage: per version, how often each guard answered what (realm-v2 reads the finalized cap).
        var guards = page.Locator("#guard-coverage");
        await Expect(guards).ToBeVisibleAsync();
        Assert.Equal(["D"], await guards.Locator("thead th.num").AllTextContentsAsync());
        var capFalse = await guards.Locator("tr[data-guard=\"system_supports_bbml2_noabort:false\"] td.num").InnerTextAsync();
        Assert.True(long.Parse(capFalse, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 0, $"system_supports_bbml2_noabort() false: {capFalse}");
        await Expect(guards.Locator("tr[data-guard=\"system_supports_bbml2_noabort:false\"] td").First).ToHaveTextAsync("system_supports_bbml2_noabort() false");

        // Plots over time: they appear after two samples (5 s apart) and the page refreshes them every 10 s.
        await Expect(page.Locator("svg#plot-rate")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        foreach (var id in new[] { "plot-rate", "plot-features", "plot-root-causes" })
        {
            var plot = page.Locator($"svg#{id}");
            await Expect(plot.Locator($"polyline.plot-line[data-series=\"{CampaignName}\"]")).ToHaveCountAsync(1);
            await Expect(plot.Locator("text.plot-legend")).ToHaveTextAsync(CampaignName);
        }

        var points = (await page.Locator($"svg#plot-features polyline.plot-line").GetAttributeAsync("points"))!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(points.Length >= 2, $"the features plot has {points.Length} point(s)");
        await Expect(page.Locator("#machine-plots tbody tr")).ToHaveCountAsync(2); // one machine × two envs
        await Screenshot(page, "dashboard");
        await ScreenshotOf(page.Locator("#plots"), "plots");
        await ScreenshotOf(page.Locator("section.card", new PageLocatorOptions { Has = page.Locator("#guard-coverage") }), "guard-coverage");
    }

    /// <summary>Clicks the first TLB-conflict finding (realm-v2 on this machine finds one in seconds), else the first finding.</summary>
    private async Task<string> OpenFinding(IPage page, IClusterClient client)
    {
        var links = page.Locator("#findings a.finding-link");
        var tlb = links.Filter(new LocatorFilterOptions { HasTextString = "TLB conflict" });
        var link = await tlb.CountAsync() > 0 ? tlb.First : links.First;
        var title = await link.InnerTextAsync();
        await link.ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/findings/[^/]+$"));
        var key = Uri.UnescapeDataString(new Uri(page.Url).AbsolutePath["/findings/".Length..]);
        Assert.Contains(await client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings(), f => f.SignatureKey == key);
        Log($"finding page: {key} ({title})");
        return key;
    }

    private async Task CheckFindingPage(IPage page, string key)
    {
        await Expect(page.Locator("h1#title")).ToBeVisibleAsync();
        await Expect(page.Locator("#facts")).ToContainTextAsync(key);
        var svg = page.Locator("svg#timeline");
        await Expect(svg).ToBeVisibleAsync();
        Assert.Equal(Cpus, await svg.Locator(".lane").CountAsync());
        Assert.Equal(["CPU 0", "CPU 1"], await svg.Locator(".lane .lane-label").AllTextContentsAsync());
        // Readable without hovering: which CPU lacks BBML2_NOABORT (bbml2=0: only CPU 0 has it), the legend, the split.
        Assert.Equal(["BBML2_NOABORT", "no BBML2_NOABORT"], await svg.Locator(".lane .lane-caps").AllTextContentsAsync());
        var legend = string.Join(" | ", await svg.Locator(".legend text").AllTextContentsAsync());
        foreach (var item in new[] { "boot phase", "trace event", "MMU on", "bring-up", "split", "violation", "this finding", "lacks BBML2_NOABORT" })
            Assert.Contains(item, legend, StringComparison.Ordinal);
        Assert.True(await svg.Locator(".violation").CountAsync() >= 1, "the timeline shows no violation");
        await Expect(svg.Locator("text.finding-label")).ToHaveCountAsync(1);
        if (key.StartsWith("tlb-conflict", StringComparison.Ordinal))
            await Expect(svg.Locator("text.split-label")).ToContainTextAsync("the violating split: split_");
        var guards = page.Locator("#finding-guards");
        await Expect(guards).ToBeVisibleAsync();
        Assert.Equal(["this trace", "campaign on realm-v2"], await guards.Locator("thead th.num").AllTextContentsAsync());
        Assert.True(await guards.Locator("tbody tr").CountAsync() >= 2, "the finding's guard coverage is empty");
        await ScreenshotOf(page.Locator(".timeline-scroll"), "timeline");
        await Expect(page.Locator("#trace")).ToContainTextAsync("fuzzfarm-trace");
        Assert.Equal(VariantCatalog.All.Count, await page.Locator("#matrix tbody tr").CountAsync());
        await Expect(page.Locator("#matrix tbody tr[data-variant=\"realm-v2\"] td").Nth(1)).ToHaveTextAsync("yes");
        await Screenshot(page, "finding");
    }

    private async Task CheckDownloads(IPage page, string key, string baseUrl, CancellationToken ct)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#download").ClickAsync());
        Assert.Equal(FindingFile.Name(key) + ".trace", download.SuggestedFilename);
        var text = await File.ReadAllTextAsync((await download.PathAsync())!, ct);
        Assert.Contains("fuzzfarm-trace 1", text, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        using var trace = await http.GetAsync(new Uri("/findings/" + Uri.EscapeDataString(key + ".trace"), UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, trace.StatusCode);
        Assert.Equal("text/plain", trace.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", trace.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal(text, await trace.Content.ReadAsStringAsync(ct));

        var markdown = await page.Locator("#markdown").GetAttributeAsync("href");
        var md = await http.GetStringAsync(new Uri(markdown!, UriKind.Relative), ct);
        Assert.StartsWith("### ", md, StringComparison.Ordinal);
        Assert.Contains($"--variant realm-v2", md, StringComparison.Ordinal);

        using var missing = await http.GetAsync(new Uri("/findings/" + Uri.EscapeDataString("no-such--key'"), UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no-such--key&#39;", await missing.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    private async Task<(IClusterClient Client, string BaseUrl)> StartSilo(CancellationToken ct)
    {
        Directory.CreateDirectory(_dir);
        var ports = ProcessHarness.FreePorts(2);
        _silo = FuzzFarmSilo.Build(new FuzzFarmHostOptions
        {
            Http = "127.0.0.1:0", DataDirectory = _dir, SiloPort = ports[0], GatewayPort = ports[1], ClusterId = $"web-{Guid.NewGuid():N}"[..16],
        });
        await _silo.StartAsync(ct);
        var url = FuzzFarmSilo.HttpAddress(_silo) ?? throw new InvalidOperationException("the silo has no HTTP listener");
        Log($"silo up at {url} (silo port {ports[0]}, gateway {ports[1]}, data {_dir})");
        return (_silo.Services.GetRequiredService<IClusterClient>(), url.ToString().TrimEnd('/'));
    }

    /// <summary>Until the aggregator holds a TLB conflict, or any finding after 20 s; 60 s at most.</summary>
    private async Task<IReadOnlyList<FindingRecord>> WaitForFindings(IClusterClient client, CancellationToken ct)
    {
        var aggregator = client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator);
        var start = _clock.Elapsed;
        while (true)
        {
            var findings = await aggregator.Findings();
            var waited = _clock.Elapsed - start;
            if (findings.Any(IsTlbConflict) || (findings.Count > 0 && waited > TimeSpan.FromSeconds(20))) return findings;
            Assert.True(waited < TimeSpan.FromSeconds(60), "the campaign found nothing in 60 s");
            await Task.Delay(250, ct);
        }
    }

    private static bool IsTlbConflict(FindingRecord f) => f.Invariant == "tlb-conflict";

    /// <summary>One element (a section of the page) as its own picture, kept in docs/ like the page views.</summary>
    private async Task ScreenshotOf(ILocator element, string name)
    {
        var path = Path.Combine(Corpus.RepoRoot, "artifacts", "web", name + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await element.ScreenshotAsync(new LocatorScreenshotOptions { Path = path });
        Log($"screenshot: {path}");
        if (Environment.GetEnvironmentVariable("FUZZFARM_DOCS_SCREENSHOTS") == "1")
        {
            var docs = Path.Combine(Corpus.RepoRoot, "docs", name + ".png");
            await element.ScreenshotAsync(new LocatorScreenshotOptions { Path = docs });
            Log($"screenshot: {docs}");
        }
    }

    private async Task Screenshot(IPage page, string name)
    {
        var path = Path.Combine(Corpus.RepoRoot, "artifacts", "web", name + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Log($"screenshot: {path}");
        if (Environment.GetEnvironmentVariable("FUZZFARM_DOCS_SCREENSHOTS") == "1")
        {
            var docs = Path.Combine(Corpus.RepoRoot, "docs", name + ".png");
            Directory.CreateDirectory(Path.GetDirectoryName(docs)!);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = docs });
            Log($"screenshot: {docs}");
        }
    }

    private void Log(string line)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:F1}s] {line}");
        output.WriteLine(text);
        Console.WriteLine(text);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_silo is not null)
        {
            try
            {
                await _silo.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(CampaignName).Stop();
            }
            catch (Exception e) when (e is OrleansException or TimeoutException or InvalidOperationException)
            {
                output.WriteLine($"stopping the campaign: {e.Message}");
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _silo.StopAsync(stop.Token);
            _silo.Dispose();
        }

        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
