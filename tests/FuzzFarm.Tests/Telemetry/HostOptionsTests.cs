using System.Reflection;
using FuzzFarm.Host;
using FuzzFarm.Tests.Farm;

namespace FuzzFarm.Tests.Telemetry;

/// <summary>The silo's options: each has one environment variable and one flag, and bad values are named.</summary>
public sealed class HostOptionsTests
{
    [Fact]
    public void EnvironmentVariables_NameEverySettableOption_Once()
    {
        var properties = typeof(FuzzFarmHostOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite).Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        var table = FuzzFarmHostOptions.EnvironmentVariables;

        Assert.Equal(properties, table.Select(e => e.Property).Order(StringComparer.Ordinal));
        Assert.Equal(table.Count, table.Select(e => e.Variable).Distinct().Count());
        Assert.All(table, e => Assert.StartsWith("FUZZFARM_", e.Variable, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Http", "localhost:5080", "--http")]
    [InlineData("Http", "127.0.0.1:99999", "--http")]
    [InlineData("Otlp", "collector:4317", "--otlp")]
    [InlineData("OtlpProtocol", "thrift", "--otlp-protocol")]
    [InlineData("Advertise", "my-host", "--advertise")]
    [InlineData("Address", "0.0.0.0", "--advertise")]
    public void Validate_NamesTheBadOption(string property, string value, string named)
    {
        var options = new FuzzFarmHostOptions();
        typeof(FuzzFarmHostOptions).GetProperty(property)!.SetValue(options, value);

        var problem = Assert.Single(options.Validate());
        Assert.Contains(named, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_ListenOnLoopbackOnly()
    {
        var options = new FuzzFarmHostOptions();

        Assert.Empty(options.Validate());
        Assert.Equal("127.0.0.1", options.Address);
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5080), options.HttpEndpoint);
        Assert.Null(new FuzzFarmHostOptions { Http = "off" }.HttpEndpoint);
    }

    [Fact]
    public async Task SiloProcess_ReadsItsOptionsFromTheEnvironment_AndNamesABadVariable()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-env-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var result = await ProcessHarness.Run(ProcessHarness.Dotnet, [ProcessHarness.FuzzFarmDll, "silo"], TimeSpan.FromSeconds(60),
                TestContext.Current.CancellationToken, new Dictionary<string, string> { ["FUZZFARM_HTTP"] = "nowhere", ["FUZZFARM_SILO_PORT"] = "eleven", ["FUZZFARM_DATA"] = dir });

            Assert.Equal(2, result.Code);
            Assert.Contains("FUZZFARM_SILO_PORT='eleven'", result.Err, StringComparison.Ordinal);

            result = await ProcessHarness.Run(ProcessHarness.Dotnet, [ProcessHarness.FuzzFarmDll, "silo"], TimeSpan.FromSeconds(60),
                TestContext.Current.CancellationToken, new Dictionary<string, string> { ["FUZZFARM_HTTP"] = "nowhere", ["FUZZFARM_DATA"] = dir });
            Assert.Equal(2, result.Code);
            Assert.Contains("--http (FUZZFARM_HTTP): 'nowhere'", result.Err, StringComparison.Ordinal);

            // An explicit flag wins over its variable.
            result = await ProcessHarness.Run(ProcessHarness.Dotnet, [ProcessHarness.FuzzFarmDll, "silo", "--http", "bad-flag"], TimeSpan.FromSeconds(60),
                TestContext.Current.CancellationToken, new Dictionary<string, string> { ["FUZZFARM_HTTP"] = "127.0.0.1:0", ["FUZZFARM_DATA"] = dir });
            Assert.Equal(2, result.Code);
            Assert.Contains("'bad-flag'", result.Err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
