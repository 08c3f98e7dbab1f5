using FuzzFarm.Farm;
using FuzzFarm.Host.Web;
using FuzzFarm.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FuzzFarm.Host;

/// <summary>
/// A whole silo process: Orleans with the farm, OpenTelemetry (FuzzFarm's and Orleans' meters; Prometheus at
/// <c>/metrics</c>; OTLP metrics and traces when an endpoint is given) and, on the HTTP listener, the web
/// dashboard and <c>/healthz</c>. With <c>--http off</c> there is no listener and no Prometheus endpoint.
/// </summary>
public static class FuzzFarmSilo
{
    /// <param name="options">Where the silo listens and keeps its data.</param>
    /// <param name="farm">Farm options (tests shorten slices).</param>
    /// <param name="logLevel">The console log's level.</param>
    /// <param name="consoleLifetime">
    /// True: the host stops itself on SIGINT/SIGTERM (the .NET console lifetime). False: the caller handles signals
    /// (the command line finishes its slice and delivers before it stops the host).
    /// </param>
    /// <exception cref="FuzzFarmOptionsException">The options cannot be used (every problem is named).</exception>
    public static IHost Build(FuzzFarmHostOptions options, Action<FarmOptions>? farm = null, LogLevel logLevel = LogLevel.Warning, bool consoleLifetime = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0) throw new FuzzFarmOptionsException(string.Join("; ", problems));
        if (options.HttpEndpoint is not { } endpoint)
        {
            var plain = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            Configure(plain.Services, plain.Logging, options, logLevel, prometheus: false);
            if (!consoleLifetime) plain.Services.AddSingleton<IHostLifetime, CallerLifetime>();
            plain.UseOrleans(silo => silo.AddFuzzFarm(options, farm));
            return plain.Build();
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint));
        Configure(builder.Services, builder.Logging, options, logLevel, prometheus: true);
        if (!consoleLifetime) builder.Services.AddSingleton<IHostLifetime, CallerLifetime>();
        builder.Services.AddSingleton<HealthProbe>();
        // The dashboard's plots: on a single silo kept with its data (so `serve` shows a finished run's), else in memory.
        builder.Services.AddSingleton(new StatusHistory(options.Redis is null ? Path.Combine(Path.GetFullPath(options.DataDirectory), "history.jsonl") : null));
        builder.Services.AddHostedService<StatusHistorySampler>();
        builder.UseOrleans(silo => silo.AddFuzzFarm(options, farm));
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint("/metrics");
        // Healthy: started, not stopping, and the membership table and grain storage answer (HealthProbe).
        app.MapGet("/healthz", async (IHostApplicationLifetime life, HealthProbe probe, CancellationToken ct) =>
        {
            if (!life.ApplicationStarted.IsCancellationRequested || life.ApplicationStopping.IsCancellationRequested)
                return Results.Text("starting or stopping\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            return await probe.Check(ct) is { } problem
                ? Results.Text($"unhealthy: {problem}\n", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("healthy\n");
        });
        DashboardEndpoints.Map(app);
        return app;
    }

    /// <summary>The URL the HTTP listener actually serves (after start; port 0 resolved), or null when it is off.</summary>
    public static Uri? HttpAddress(IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host is not WebApplication app) return null;
        var url = app.Urls.FirstOrDefault();
        return url is null ? null : new Uri(url);
    }

    private static void Configure(IServiceCollection services, ILoggingBuilder logging, FuzzFarmHostOptions options, LogLevel level, bool prometheus)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o => o.SingleLine = true);
        if (options.LogFile is { } file)
        {
            // Everything to the file; on the console only FuzzFarm's own messages (a damaged state file, undelivered
            // reports), not the framework's.
            logging.AddProvider(new FileLogProvider(file));
            logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>((category, l) =>
                l >= level && category?.StartsWith("FuzzFarm.", StringComparison.Ordinal) == true);
            logging.AddFilter<FileLogProvider>((_, l) => l >= level);
        }

        logging.SetMinimumLevel(level)
            .AddFilter("Orleans.Runtime.Silo", LogLevel.Error).AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var otlp = options.Otlp is { } url ? new Uri(url) : null;
        var protocol = options.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("fuzzfarm", serviceVersion: FuzzFarmTelemetry.Version,
                serviceInstanceId: $"{options.AdvertisedAddress()}:{options.SiloPort}"))
            .WithMetrics(m =>
            {
                m.AddMeter(FuzzFarmTelemetry.MeterName, FuzzFarmTelemetry.OrleansMeterName);
                // Operator metrics: GC, heap, thread pool, exceptions (dotnet_*), and the process' CPU and memory.
                m.AddRuntimeInstrumentation().AddProcessInstrumentation();
                if (prometheus) m.AddPrometheusExporter();
                if (otlp is not null) m.AddOtlpExporter(o => Otlp(o, otlp, protocol, "v1/metrics"));
            });
        if (otlp is not null)
        {
            telemetry.WithTracing(t => t
                .AddSource(FuzzFarmTelemetry.ActivitySourceName, FuzzFarmTelemetry.OrleansActivitySourceName)
                .AddOtlpExporter(o => Otlp(o, otlp, protocol, "v1/traces")));
        }
    }

    private static void Otlp(OtlpExporterOptions o, Uri endpoint, OtlpExportProtocol protocol, string signalPath)
    {
        o.Protocol = protocol;
        // OTLP/HTTP posts each signal to its own path under the base URL; gRPC takes the base URL as it is.
        o.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath is "/" or ""
            ? new Uri(endpoint, signalPath)
            : endpoint;
    }
}

/// <summary>A host lifetime that leaves signals to the caller (no console lifetime handlers).</summary>
internal sealed class CallerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
