using System.Net.Sockets;
using FuzzFarm.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// The cluster client of the <c>campaign</c> commands and <c>report --cluster</c>: it first checks that something
/// answers where the cluster should be (Redis, or the local silo's gateway), so that no cluster is one line in a
/// few seconds (<see cref="NoClusterException"/>, exit 2) rather than minutes of retries and a stack trace.
/// </summary>
internal static partial class FarmCommands
{
    private static readonly TimeSpan ConnectLimit = TimeSpan.FromSeconds(30); // a loaded cluster can take long to answer; no Redis or no gateway is found by Probe in 3 s

    internal static int WithClient(FuzzFarmHostOptions options, Func<IClusterClient, Task<int>> action)
    {
        var problems = options.Validate();
        if (problems.Count > 0) throw new UsageException(string.Join("; ", problems));
        var (where, what) = options.Redis is { } redis ? (redis, "Redis") : ($"127.0.0.1:{options.GatewayPort}", "gateway");
        Probe(where, what);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Critical);
        builder.UseOrleansClient(client => client.AddFuzzFarmClient(options));
        using var app = builder.Build();
        try
        {
            using (var limit = new CancellationTokenSource(ConnectLimit)) app.StartAsync(limit.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not UsageException)
        {
            throw new NoClusterException($"no FuzzFarm cluster at {where} ({what} answers, but no silo does: {OneLine(e)})");
        }

        try
        {
            return action(app.Services.GetRequiredService<IClusterClient>()).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or InvalidOperationException)
        {
            throw new NoClusterException($"the FuzzFarm cluster at {where} did not answer: {OneLine(e)}");
        }
        finally
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                app.StopAsync(limit.Token).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is OperationCanceledException or OrleansException)
            {
                // Stopping a client that lost its cluster: nothing to flush.
            }
        }
    }

    /// <summary>A TCP connection to HOST:PORT within 3 s, or a <see cref="NoClusterException"/> naming the cause.</summary>
    private static void Probe(string endpoint, string what)
    {
        FuzzFarmHostOptions.TryParseEndpoint(endpoint, out var host, out var port);
        using var tcp = new TcpClient();
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            tcp.ConnectAsync(host, port, limit.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (SocketException e)
        {
            throw new NoClusterException($"no FuzzFarm cluster at {endpoint} ({what}: {Cause(e.SocketErrorCode)})");
        }
        catch (OperationCanceledException)
        {
            throw new NoClusterException($"no FuzzFarm cluster at {endpoint} ({what}: no answer in 3 s)");
        }
    }

    private static string Cause(SocketError e) => e switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData => "unknown host",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
        SocketError.TimedOut => "timed out",
        _ => e.ToString(),
    };

    private static string OneLine(Exception e)
    {
        var m = e.Message;
        var cut = m.IndexOfAny(['\n', '\r']);
        return (cut > 0 ? m[..cut] : m).TrimEnd('.');
    }
}

/// <summary>No cluster where the options say (exit 2, one line).</summary>
internal sealed class NoClusterException : Exception
{
    public NoClusterException(string message) : base(message) { }

    public NoClusterException() { }

    public NoClusterException(string message, Exception inner) : base(message, inner) { }
}
