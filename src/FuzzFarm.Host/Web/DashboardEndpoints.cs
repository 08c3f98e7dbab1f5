using System.Text;
using System.Text.Json;
using FuzzFarm.Farm;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FuzzFarm.Host.Web;

/// <summary>
/// The built-in web dashboard's routes: <c>/</c> (campaigns and findings), <c>/api/status</c> (their JSON),
/// <c>/findings/KEY</c> (one finding), <c>/findings/KEY.trace</c> (its reproducer) and <c>/findings/KEY.md</c>
/// (its Markdown report). Pages are rendered on the server from the grains, per request.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly JsonSerializerOptions _json = new() { WriteIndented = true };

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", async (IGrainFactory grains, TimeProvider time, StatusHistory history) =>
            HtmlResult(DashboardPage.Render(await DashboardSnapshot.Load(grains, time), history.Samples)));
        app.MapGet("/plots", (StatusHistory history) => Results.Content(PlotsSection.Render(history.Samples), "text/html; charset=utf-8"));
        app.MapGet("/api/history", (StatusHistory history) => Results.Json(history.Samples, _json));
        app.MapGet("/api/status", async (IGrainFactory grains, TimeProvider time) =>
            Results.Json((await DashboardSnapshot.Load(grains, time)).ToDocument(), _json));
        app.MapGet("/findings/{name}", Finding);
    }

    /// <summary>
    /// A key is looked up as it is first, then without a <c>.trace</c> or <c>.md</c> suffix (signature keys end in
    /// a hex hash, so a suffixed name is never itself a key).
    /// </summary>
    private static async Task<IResult> Finding(string name, IGrainFactory grains, TimeProvider time)
    {
        var findings = await grains.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings();
        var byKey = findings.ToDictionary(f => f.SignatureKey, StringComparer.Ordinal);
        if (byKey.TryGetValue(name, out var record))
        {
            // The campaign's guard tally on the finding's version, beside the reproducer's own.
            var analysis = FindingAnalysis.Of(record);
            var snapshot = await DashboardSnapshot.Load(grains, time);
            var guards = VerdictGrid.GuardsByVersion(snapshot.Campaigns.SelectMany(c => c.Machines)).GetValueOrDefault(analysis.Replay?.Variant.Id ?? record.Variant);
            return HtmlResult(FindingPage.Render(analysis, guards));
        }

        if (Strip(name, ".trace") is { } t && byKey.TryGetValue(t, out record))
        {
            return Results.File(Encoding.UTF8.GetBytes(record.SmallestTrace), "text/plain; charset=utf-8",
                FindingFile.Name(record.SignatureKey) + ".trace");
        }

        if (Strip(name, ".md") is { } m && byKey.TryGetValue(m, out record))
            return Results.Text(FindingMarkdown.Render(record), "text/plain; charset=utf-8"); // shown, not downloaded: it is for copying
        return HtmlResult(FindingPage.NotFound(name), StatusCodes.Status404NotFound);
    }

    private static string? Strip(string name, string suffix) =>
        name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : null;

    private static IResult HtmlResult(string html, int status = StatusCodes.Status200OK) =>
        Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
}
