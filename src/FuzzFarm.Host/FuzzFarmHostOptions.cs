using System.Net;

namespace FuzzFarm.Host;

/// <summary>How a silo or client joins a cluster. Defaults: local mode, loopback, data under ./fuzzfarm-data.</summary>
public sealed class FuzzFarmHostOptions
{
    /// <summary>Redis "host:port" for membership and grain storage; null for the local single-silo mode.</summary>
    public string? Redis { get; set; }

    /// <summary>Local mode: grain state and finding files (default ./fuzzfarm-data).</summary>
    public string DataDirectory { get; set; } = "fuzzfarm-data";

    /// <summary>The address silos listen on and advertise (default 127.0.0.1: nothing leaves the machine).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Silo-to-silo port (default 11111).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port (default 30000).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Cluster id shared by every silo and client of one farm (default "fuzzfarm").</summary>
    public string ClusterId { get; set; } = "fuzzfarm";

    /// <summary>Local mode with several silos on one machine: the first silo's "host:port" (default: this silo is the primary).</summary>
    public string? Primary { get; set; }

    /// <summary>Append every durable report to this file (tests and audits; default: none).</summary>
    public string? ReportJournal { get; set; }

    /// <summary>
    /// The silo's HTTP listener, HOST:PORT, serving <c>/metrics</c> (Prometheus), <c>/</c> (the web dashboard) and
    /// <c>/healthz</c> (default 127.0.0.1:5080; port 0 picks a free one; <c>off</c>: no listener).
    /// </summary>
    public string Http { get; set; } = "127.0.0.1:5080";

    /// <summary>
    /// The address other silos and clients are told to use (default: <see cref="Address"/>); <c>hostname</c> resolves
    /// this machine's own address, for containers listening on 0.0.0.0 whose address only the network knows.
    /// </summary>
    public string? Advertise { get; set; }

    /// <summary>OTLP endpoint for metrics and traces, e.g. http://127.0.0.1:4317 (default: no OTLP export).</summary>
    public string? Otlp { get; set; }

    /// <summary>Send the log (Orleans' and ASP.NET Core's own messages) to this file instead of the console (null: console).</summary>
    public string? LogFile { get; set; }

    /// <summary>OTLP transport: <c>grpc</c> (default, port 4317) or <c>http/protobuf</c> (port 4318).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>
    /// Where acknowledged findings are also written as KEY.trace + KEY.json (default: DATA/findings in local mode,
    /// none with Redis; a volume shared by the silos in a cluster).
    /// </summary>
    public string? Findings { get; set; }

    /// <summary>
    /// Every option's environment variable and command-line flag (an explicit flag wins over the variable): a
    /// silo in a container is configured by these alone.
    /// </summary>
    public static IReadOnlyList<(string Variable, string Flag, string Property)> EnvironmentVariables { get; } =
    [
        ("FUZZFARM_REDIS", "--redis", nameof(Redis)),
        ("FUZZFARM_DATA", "--data", nameof(DataDirectory)),
        ("FUZZFARM_ADDRESS", "--address", nameof(Address)),
        ("FUZZFARM_ADVERTISE", "--advertise", nameof(Advertise)),
        ("FUZZFARM_SILO_PORT", "--silo-port", nameof(SiloPort)),
        ("FUZZFARM_GATEWAY_PORT", "--gateway-port", nameof(GatewayPort)),
        ("FUZZFARM_CLUSTER_ID", "--cluster-id", nameof(ClusterId)),
        ("FUZZFARM_PRIMARY", "--primary", nameof(Primary)),
        ("FUZZFARM_REPORT_JOURNAL", "--report-journal", nameof(ReportJournal)),
        ("FUZZFARM_HTTP", "--http", nameof(Http)),
        ("FUZZFARM_OTLP", "--otlp", nameof(Otlp)),
        ("FUZZFARM_OTLP_PROTOCOL", "--otlp-protocol", nameof(OtlpProtocol)),
        ("FUZZFARM_FINDINGS", "--findings", nameof(Findings)),
        ("FUZZFARM_LOG_FILE", "--log-file", nameof(LogFile)),
    ];

    /// <summary>The HTTP listener's endpoint, or null when it is off (valid options only).</summary>
    public IPEndPoint? HttpEndpoint =>
        Http == "off" || !TryParseEndpoint(Http, out var host, out var port, allowZero: true) || !IPAddress.TryParse(host, out var ip)
            ? null
            : new IPEndPoint(ip, port);

    /// <summary>The address to advertise: <see cref="Advertise"/>, this host's own address for "hostname", else <see cref="Address"/>.</summary>
    public IPAddress AdvertisedAddress()
    {
        if (Advertise == "hostname")
        {
            var own = Dns.GetHostAddresses(Dns.GetHostName())
                .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
            return own ?? throw new FuzzFarmOptionsException($"--advertise hostname: '{Dns.GetHostName()}' has no non-loopback IPv4 address");
        }

        return IPAddress.Parse(Advertise ?? Address);
    }

    /// <summary>Returns the problems, one line each (empty when the options can be used).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Redis is not null && !TryParseEndpoint(Redis, out _, out _))
            problems.Add($"--redis: '{Redis}' is not HOST:PORT (for example 127.0.0.1:6379)");
        if (Primary is not null && !TryParseEndpoint(Primary, out _, out _))
            problems.Add($"--primary: '{Primary}' is not HOST:PORT (the first silo's silo port)");
        if (Primary is not null && Redis is not null) problems.Add("--primary is for the local mode; with --redis the silos find each other in Redis");
        if (!IPAddress.TryParse(Address, out _)) problems.Add($"--address: '{Address}' is not an IP address");
        if (SiloPort is < 1 or > 65535) problems.Add($"--silo-port: {SiloPort} is not a port (1-65535)");
        if (GatewayPort is < 1 or > 65535) problems.Add($"--gateway-port: {GatewayPort} is not a port (1-65535)");
        if (SiloPort == GatewayPort) problems.Add($"--silo-port and --gateway-port are both {SiloPort}");
        if (string.IsNullOrWhiteSpace(ClusterId) || ClusterId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            problems.Add($"--cluster-id: '{ClusterId}' must be letters, digits, '-' or '_'");
        if (Redis is null && string.IsNullOrWhiteSpace(DataDirectory)) problems.Add("--data: empty");
        if (Http != "off" && !(TryParseEndpoint(Http, out var httpHost, out _, allowZero: true) && IPAddress.TryParse(httpHost, out _)))
            problems.Add($"--http: '{Http}' is not IP:PORT (for example 127.0.0.1:5080; port 0 picks one) or 'off'");
        if (Advertise is not null && Advertise != "hostname" && !IPAddress.TryParse(Advertise, out _))
            problems.Add($"--advertise: '{Advertise}' is not an IP address or 'hostname'");
        if (Advertise is null && IPAddress.TryParse(Address, out var listen) && (listen.Equals(IPAddress.Any) || listen.Equals(IPAddress.IPv6Any)))
            problems.Add($"--address {Address} listens everywhere but cannot be advertised: give --advertise IP or --advertise hostname");
        if (Otlp is not null && !(Uri.TryCreate(Otlp, UriKind.Absolute, out var otlp) && otlp.Scheme is "http" or "https"))
            problems.Add($"--otlp: '{Otlp}' is not an http(s) URL (for example http://127.0.0.1:4317)");
        if (OtlpProtocol is not ("grpc" or "http/protobuf")) problems.Add($"--otlp-protocol: '{OtlpProtocol}' must be grpc or http/protobuf");
        if (Findings is not null && string.IsNullOrWhiteSpace(Findings)) problems.Add("--findings: empty");
        // Name the variable too: a container's silo is configured by variables alone.
        return [.. problems.Select(p => EnvironmentVariables.FirstOrDefault(e => p.StartsWith(e.Flag + ":", StringComparison.Ordinal)) is { Flag: { } flag } e
            ? $"{flag} ({e.Variable}){p[flag.Length..]}"
            : p)];
    }

    public static bool TryParseEndpoint(string text, out string host, out int port) => TryParseEndpoint(text, out host, out port, allowZero: false);

    private static bool TryParseEndpoint(string text, out string host, out int port, bool allowZero)
    {
        host = "";
        port = 0;
        var i = text.LastIndexOf(':');
        if (i <= 0 || i == text.Length - 1) return false;
        host = text[..i];
        return int.TryParse(text[(i + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            && (port is > 0 and < 65536 || (allowZero && port == 0));
    }
}

/// <summary>Options that cannot be used; the message names each problem.</summary>
public sealed class FuzzFarmOptionsException : Exception
{
    public FuzzFarmOptionsException(string message) : base(message) { }

    public FuzzFarmOptionsException() { }

    public FuzzFarmOptionsException(string message, Exception inner) : base(message, inner) { }
}
