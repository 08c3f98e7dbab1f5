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
        return problems;
    }

    public static bool TryParseEndpoint(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        var i = text.LastIndexOf(':');
        if (i <= 0 || i == text.Length - 1) return false;
        host = text[..i];
        return int.TryParse(text[(i + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            && port is > 0 and < 65536;
    }
}

/// <summary>Options that cannot be used; the message names each problem.</summary>
public sealed class FuzzFarmOptionsException : Exception
{
    public FuzzFarmOptionsException(string message) : base(message) { }

    public FuzzFarmOptionsException() { }

    public FuzzFarmOptionsException(string message, Exception inner) : base(message, inner) { }
}
