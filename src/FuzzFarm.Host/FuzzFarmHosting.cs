using System.Net;
using FuzzFarm.Farm;
using FuzzFarm.Host;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Storage;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Silo and client set-up for FuzzFarm (found without an extra using, as Orleans' own UseOrleans).</summary>
public static class FuzzFarmHosting
{
    /// <summary>
    /// Adds the farm to a silo: localhost clustering with file storage under the data directory (local mode) or
    /// Redis membership and Redis grain storage (cluster mode); the variant catalog; finding files in local mode.
    /// </summary>
    /// <exception cref="FuzzFarmOptionsException">The options cannot be used (every problem is named).</exception>
    public static ISiloBuilder AddFuzzFarm(this ISiloBuilder silo, FuzzFarmHostOptions options, Action<FarmOptions>? farm = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        Check(options);
        var address = IPAddress.Parse(options.Address);
        var advertised = options.AdvertisedAddress();
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = "fuzzfarm";
        });
        if (options.Redis is null)
        {
            IPEndPoint? primary = null;
            if (options.Primary is { } p && FuzzFarmHostOptions.TryParseEndpoint(p, out var host, out var port))
                primary = new IPEndPoint(IPAddress.Parse(host), port);
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primary, serviceId: "fuzzfarm", clusterId: options.ClusterId);
            var data = Path.GetFullPath(options.DataDirectory);
            silo.Services.AddKeyedSingleton<IGrainStorage>(FarmKeys.Storage, (sp, _) =>
                new FileGrainStorage(Path.Combine(data, "state"), new OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>()),
                    sp.GetService<Microsoft.Extensions.Logging.ILogger<FileGrainStorage>>()));
            silo.Services.AddSingleton<IFindingSink>(new FileFindingSink(Path.GetFullPath(options.Findings ?? Path.Combine(data, "findings"))));
        }
        else
        {
            var redis = Redis(options.Redis);
            silo.UseRedisClustering(o => o.ConfigurationOptions = redis);
            silo.AddRedisGrainStorage(FarmKeys.Storage, o => o.ConfigurationOptions = Redis(options.Redis));
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = advertised;
                o.SiloPort = options.SiloPort;
                o.GatewayPort = options.GatewayPort;
                o.SiloListeningEndpoint = new IPEndPoint(address, options.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(address, options.GatewayPort);
            });
            if (options.Findings is { } findings) silo.Services.AddSingleton<IFindingSink>(new FileFindingSink(Path.GetFullPath(findings)));
            else silo.Services.AddSingleton<IFindingSink, NoFindingSink>();
        }

        silo.Services.AddPlacementDirector<EvenPlacement, EvenPlacementDirector>();
        silo.Services.AddSingleton<IVariantResolver, CatalogVariantResolver>();
        if (options.ReportJournal is { } journal) silo.Services.AddSingleton<IReportJournal>(new FileReportJournal(Path.GetFullPath(journal)));
        else silo.Services.AddSingleton<IReportJournal, NoReportJournal>();
        silo.Services.AddSingleton(TimeProvider.System);
        silo.Services.AddMetrics();
        silo.Services.AddSingleton<FuzzFarm.Telemetry.FuzzFarmMetrics>();
        silo.AddActivityPropagation();
        silo.Services.Configure<FarmOptions>(o => farm?.Invoke(o));
        return silo;
    }

    /// <summary>A cluster client: the local silo's gateway, or the Redis-listed gateways.</summary>
    public static IClientBuilder AddFuzzFarmClient(this IClientBuilder client, FuzzFarmHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        Check(options);
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = "fuzzfarm";
        });
        client.AddActivityPropagation();
        if (options.Redis is null) client.UseLocalhostClustering(options.GatewayPort, serviceId: "fuzzfarm", clusterId: options.ClusterId);
        else client.UseRedisClustering(o => o.ConfigurationOptions = Redis(options.Redis));
        return client;
    }

    private static void Check(FuzzFarmHostOptions options)
    {
        var problems = options.Validate();
        if (problems.Count > 0) throw new FuzzFarmOptionsException(string.Join("; ", problems));
    }

    private static ConfigurationOptions Redis(string endpoint)
    {
        var c = ConfigurationOptions.Parse(endpoint);
        c.AbortOnConnectFail = false; // a restarting Redis is waited for, not fatal
        c.ConnectRetry = 5;
        return c;
    }
}
