using System.Globalization;
using System.Net;
using System.Text;

namespace FuzzFarm.Host.Web;

/// <summary>
/// The dashboard's HTML plumbing: encoding (every value from the farm goes through <see cref="E"/>), links to
/// findings (keys hold '--' and apostrophes: always URL-encoded), formats, and the page shell.
/// </summary>
internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>The finding page of a signature key, plus an optional suffix (<c>.trace</c>, <c>.md</c>).</summary>
    public static string FindingUrl(string key, string suffix = "") => "/findings/" + Uri.EscapeDataString(key + suffix);

    public static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? t) => t is { } v && v != default
        ? $"<time datetime=\"{v.ToUniversalTime():O}\">{v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</time>"
        : "–";

    /// <summary>A time in a table: the clock alone on the day of <paramref name="now"/> (UTC), else date and minutes.</summary>
    public static string ShortTime(DateTimeOffset t, DateTimeOffset now)
    {
        if (t == default) return "–";
        var u = t.ToUniversalTime();
        var text = u.Date == now.ToUniversalTime().Date
            ? u.ToString("HH:mm:ss", CultureInfo.InvariantCulture)
            : u.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return $"<time datetime=\"{u:O}\" title=\"{u.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC\">{text}</time>";
    }

    public static string StateBadge(string state) =>
        $"<span class=\"badge state-{E(state)}\" data-state>{E(state)}</span>";

    /// <summary>A whole page: the shell (header, navigation, stylesheet) around <paramref name="body"/>.</summary>
    public static string Page(string title, string body, string script = "")
    {
        var o = new StringBuilder();
        o.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(title)).Append(" · FuzzFarm</title>\n")
            .Append("<style>\n").Append(DashboardStyle.Css).Append("</style>\n</head>\n<body>\n")
            .Append("<header class=\"top\"><div class=\"wrap\"><a class=\"brand\" href=\"/\">FuzzFarm</a>")
            .Append("<span class=\"tagline\">split_kernel_leaf_mapping() fuzzing farm</span>")
            .Append("<nav><a href=\"/\">Dashboard</a><a href=\"/check\">Check</a><a href=\"/api/status\">API</a><a href=\"/metrics\">Metrics</a><a href=\"/healthz\">Health</a></nav>")
            .Append("</div></header>\n<main class=\"wrap\">\n")
            .Append(body)
            .Append("</main>\n");
        if (script.Length > 0) o.Append("<script>\n").Append(script).Append("</script>\n");
        o.Append("</body>\n</html>\n");
        return o.ToString();
    }
}
