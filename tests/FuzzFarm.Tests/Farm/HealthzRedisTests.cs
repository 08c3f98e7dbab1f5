using System.Diagnostics;
using System.Globalization;
using System.Net;
using FuzzFarm.Cli;

namespace FuzzFarm.Tests.Farm;

/// <summary>
/// <c>/healthz</c> tells the truth about Redis: a real redis-server on 127.0.0.1 and a real <c>fuzzfarm silo</c>
/// process; Redis frozen with SIGSTOP turns the silo unhealthy (503 and a reason, every answer within the health
/// command's 3 s), SIGCONT turns it healthy again, and a killed Redis unhealthy again.
/// </summary>
[Collection(nameof(RealClusterCollection))]
public sealed class HealthzRedisTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>The health command's default wait: every /healthz answer must come within it.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(3);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-healthz-{Guid.NewGuid():N}");
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<HarnessProcess> _processes = [];
    private HarnessProcess? _redis;
    private bool _frozen;
    private bool _passed;

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task FrozenRedis_MakesHealthzUnhealthy_AndThawedRedis_HealthyAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_dir);
        var ports = ProcessHarness.FreePorts(4);
        var (redisPort, siloPort, gatewayPort, httpPort) = (ports[0], ports[1], ports[2], ports[3]);
        var healthz = new Uri($"http://127.0.0.1:{httpPort}/healthz");
        try
        {
            _redis = Track(HarnessProcess.Start("redis-server",
                ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _dir, "--save", "", "--appendonly", "no"],
                Path.Combine(_dir, "redis.log")));
            Assert.True(await ProcessHarness.WaitForRedis(redisPort, TimeSpan.FromSeconds(30), ct), $"redis-server did not answer PING:\n{_redis.Output}");
            var silo = Track(HarnessProcess.Start(ProcessHarness.Dotnet,
            [
                ProcessHarness.FuzzFarmDll, "silo", "--redis", $"127.0.0.1:{redisPort}", "--address", "127.0.0.1",
                "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
                "--cluster-id", $"healthz-{Guid.NewGuid():N}"[..16], "--http", $"127.0.0.1:{httpPort}",
            ], Path.Combine(_dir, "silo.log")));
            Assert.True(await silo.WaitForOutput("silo up", TimeSpan.FromSeconds(60), ct), $"the silo did not come up:\n{silo.Output}");

            var up = await WaitFor(healthz, HttpStatusCode.OK, TimeSpan.FromSeconds(30), ct);
            Log($"silo healthy: {up.Body}");
            Assert.Equal(ExitCodes.Clean, CliApp.Run(["health", "--url", healthz.ToString()], new StringWriter(), new StringWriter()));

            // Freeze Redis: the TCP connections stay open, nothing answers.
            await Signal("STOP", _redis.Id, ct);
            _frozen = true;
            var frozenAt = _clock.Elapsed;
            var down = await WaitFor(healthz, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15), ct);
            Log($"Redis frozen: unhealthy after {(_clock.Elapsed - frozenAt).TotalSeconds:F1} s: {down.Body}");
            Assert.StartsWith("unhealthy:", down.Body, StringComparison.Ordinal);
            Assert.True(_clock.Elapsed - frozenAt < TimeSpan.FromSeconds(10), $"unhealthy only after {(_clock.Elapsed - frozenAt).TotalSeconds:F1} s");
            var err = new StringWriter();
            Assert.Equal(ExitCodes.Violation, CliApp.Run(["health", "--url", healthz.ToString()], new StringWriter(), err));
            Assert.Contains("503", err.ToString(), StringComparison.Ordinal);

            // Thaw it: healthy again.
            await Signal("CONT", _redis.Id, ct);
            _frozen = false;
            var thawedAt = _clock.Elapsed;
            var again = await WaitFor(healthz, HttpStatusCode.OK, TimeSpan.FromSeconds(30), ct);
            Log($"Redis thawed: healthy after {(_clock.Elapsed - thawedAt).TotalSeconds:F1} s: {again.Body}");
            Assert.Equal("healthy", again.Body);

            // Gone altogether (connection refused): unhealthy again, with the cause.
            _redis.Kill();
            var killedAt = _clock.Elapsed;
            var gone = await WaitFor(healthz, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15), ct);
            Log($"Redis killed: unhealthy after {(_clock.Elapsed - killedAt).TotalSeconds:F1} s: {gone.Body}");
            Assert.StartsWith("unhealthy:", gone.Body, StringComparison.Ordinal);
            Assert.True(_clock.Elapsed - killedAt < TimeSpan.FromSeconds(10), $"unhealthy only after {(_clock.Elapsed - killedAt).TotalSeconds:F1} s");
            _passed = true;
        }
        catch (Exception) when (!_passed)
        {
            Log("FAILED; process logs (tails) follow; everything is kept in " + _dir);
            foreach (var p in _processes.Select(p => p.LogPath).Distinct()) output.WriteLine($"---- {p}\n{ProcessHarness.Tail(p, 40)}");
            throw;
        }
    }

    /// <summary>Polls /healthz until it answers <paramref name="status"/>; every answer must come within <see cref="AnswerTimeout"/>.</summary>
    private async Task<(HttpStatusCode Status, string Body)> WaitFor(Uri url, HttpStatusCode status, TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = AnswerTimeout };
        var deadline = _clock.Elapsed + timeout;
        var last = "no answer yet";
        while (true)
        {
            var asked = _clock.Elapsed;
            try
            {
                using var response = await http.GetAsync(url, ct);
                var body = (await response.Content.ReadAsStringAsync(ct)).Trim();
                if (response.StatusCode == status) return (status, body);
                last = $"{(int)response.StatusCode} {body}";
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                Assert.Fail($"/healthz did not answer within {AnswerTimeout.TotalSeconds} s (asked at {asked.TotalSeconds:F1} s)");
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            Assert.True(_clock.Elapsed < deadline, $"/healthz not {(int)status} within {timeout.TotalSeconds} s; last answer: {last}");
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
    }

    private static async Task Signal(string signal, int pid, CancellationToken ct)
    {
        var r = await ProcessHarness.Run("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10), ct);
        Assert.True(r.Code == 0, $"kill -{signal} {pid}: {r}");
    }

    private HarnessProcess Track(HarnessProcess p)
    {
        _processes.Add(p);
        return p;
    }

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,5:F1}s] {message}");

    public void Dispose()
    {
        if (_frozen && _redis is { HasExited: false } redis)
        {
            // A stopped process ignores SIGTERM until it is continued.
            using var cont = Process.Start("kill", ["-CONT", redis.Id.ToString(CultureInfo.InvariantCulture)]);
            cont.WaitForExit(5000);
        }

        foreach (var p in _processes) p.Dispose();
        if (_passed && Directory.Exists(_dir))
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open: left in the temp directory.
            }
        }
    }
}
