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
        app.MapGet("/check", (HttpContext ctx) => Loopback(ctx) ?? HtmlResult(CheckPage.Form()));
        app.MapPost("/check", Check);
    }

    private static readonly SemaphoreSlim _checkGate = new(1, 1);

    /// <summary>Only loopback callers may start a check (it runs code paths on this silo's CPU for seconds).</summary>
    private static IResult? Loopback(HttpContext ctx) =>
        ctx.Connection.RemoteIpAddress is { } ip && System.Net.IPAddress.IsLoopback(ip) ? null
            : HtmlResult(FindingPage.Message("Check refused", "The check page takes requests from this machine (loopback) only."), StatusCodes.Status403Forbidden);

    /// <summary>POST /check: the pasted text (size-limited), its base; one check at a time; the answer as a page.</summary>
    private static async Task<IResult> Check(HttpContext ctx, IGrainFactory grains)
    {
        if (Loopback(ctx) is { } refused) return refused;
        // A form posted from another site's page (a browser on this machine) is refused: same origin only.
        if (ctx.Request.Headers.Origin is [{ } origin] && !string.Equals(origin, $"{ctx.Request.Scheme}://{ctx.Request.Host}", StringComparison.OrdinalIgnoreCase))
            return HtmlResult(FindingPage.Message("Check refused", "The form was posted from another origin."), StatusCodes.Status403Forbidden);
        if (ctx.Request.ContentLength is not { } length || length > CheckPage.MaxTextBytes * 4L)
            return HtmlResult(CheckPage.Form(error: $"The request is over the limit (the text takes at most {CheckPage.MaxTextBytes / 1024} KiB)."), StatusCodes.Status413PayloadTooLarge);
        if (!ctx.Request.HasFormContentType)
            return HtmlResult(CheckPage.Form(error: "Post the form (application/x-www-form-urlencoded or multipart/form-data)."), StatusCodes.Status400BadRequest);
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        var text = form["text"].ToString();
        var baseId = form["base"].ToString();
        if (!FuzzFarm.Variants.VariantCatalog.TryGet(baseId, out var baseVersion))
            return HtmlResult(CheckPage.Form(text, "realm-v2", $"Unknown base version '{baseId}'."), StatusCodes.Status400BadRequest);
        if (Encoding.UTF8.GetByteCount(text) > CheckPage.MaxTextBytes)
            return HtmlResult(CheckPage.Form("", baseId, $"The text is {Encoding.UTF8.GetByteCount(text):N0} bytes; the page takes at most {CheckPage.MaxTextBytes:N0}."), StatusCodes.Status413PayloadTooLarge);
        if (text.Trim().Length == 0) return HtmlResult(CheckPage.Form(text, baseId, "Paste a C text or a patch."), StatusCodes.Status400BadRequest);
        if (!await _checkGate.WaitAsync(0, ctx.RequestAborted))
            return HtmlResult(CheckPage.Form(text, baseId, "A check is running; try again when it is done."), StatusCodes.Status429TooManyRequests);
        try
        {
            // The campaign's root causes are rows too (their kept reproducers), beside the zoo corpus.
            var findings = await grains.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings();
            var extra = new List<(string, FuzzFarm.Language.EventProgram)>();
            foreach (var f in findings.Where(f => FuzzFarm.Variants.VariantCatalog.TryGet(f.Variant, out _)))
            {
                try
                {
                    extra.Add((f.SignatureKey, FuzzFarm.Language.TraceParser.Parse(f.SmallestTrace, f.SignatureKey)));
                }
                catch (FuzzFarm.Language.TraceFormatException)
                {
                    // A record from another format revision: left out of the rows.
                }
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
            deadline.CancelAfter(TimeSpan.FromSeconds(CheckPage.MaxSeconds));
            var html = await Task.Run(() => CheckPage.Run(text, baseVersion, extra, deadline.Token), ctx.RequestAborted);
            return HtmlResult(html);
        }
        catch (FuzzFarm.KernelC.KernelCException e)
        {
            return HtmlResult(CheckPage.Form(text, baseId, e.Message), StatusCodes.Status400BadRequest);
        }
        finally
        {
            _checkGate.Release();
        }
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
