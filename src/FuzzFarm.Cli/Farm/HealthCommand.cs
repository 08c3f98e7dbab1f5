using System.CommandLine;
using FuzzFarm.Host;

namespace FuzzFarm.Cli.Commands;

/// <summary><c>fuzzfarm health</c>: a silo's /healthz as an exit code (container health checks have no curl).</summary>
internal static class HealthCommand
{
    /// <summary><c>fuzzfarm health</c>: is the silo at --url (default: FUZZFARM_HTTP's /healthz) up? For container health checks.</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var url = new Option<string?>("--url") { Description = "The silo's /healthz URL (default: http://FUZZFARM_HTTP/healthz, 0.0.0.0 read as 127.0.0.1)" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the answer (default 3)", DefaultValueFactory = _ => 3 };
        var command = new Command("health", "Exit 0 when a silo's HTTP listener answers healthy, 1 otherwise") { url, timeout };
        command.SetAction(parse =>
        {
            var target = parse.GetValue(url) ?? DefaultHealthUrl();
            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new UsageException($"--url: '{target}' is not an http URL");
            if (parse.GetValue(timeout) is var t && t <= 0) throw new UsageException("--timeout must be positive");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)) };
            try
            {
                using var response = http.GetAsync(uri).GetAwaiter().GetResult();
                var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult().Trim();
                (response.IsSuccessStatusCode ? stdout : stderr).WriteLine($"{uri}: {(int)response.StatusCode} {body}");
                return response.IsSuccessStatusCode ? ExitCodes.Clean : ExitCodes.Violation;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                stderr.WriteLine($"{uri}: not answering ({e.Message})");
                return ExitCodes.Violation;
            }
        });
        return command;
    }

    private static string DefaultHealthUrl()
    {
        var http = Environment.GetEnvironmentVariable("FUZZFARM_HTTP") is { Length: > 0 } v ? v : "127.0.0.1:5080";
        if (http == "off") throw new UsageException("FUZZFARM_HTTP is 'off': this silo has no HTTP listener to ask (give --url)");
        if (!FuzzFarmHostOptions.TryParseEndpoint(http, out var host, out var port))
            throw new UsageException($"FUZZFARM_HTTP='{http}' is not HOST:PORT");
        if (host is "0.0.0.0" or "[::]" or "::") host = "127.0.0.1";
        return $"http://{host}:{port}/healthz";
    }
}
