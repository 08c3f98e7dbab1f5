using System.Diagnostics;
using FuzzFarm.Tests.Farm;

namespace FuzzFarm.Tests.Cli;

/// <summary>Signal tests run alone: each starts a real fuzzfarm process that keeps the cores busy.</summary>
[CollectionDefinition(nameof(SignalCollection), DisableParallelization = true)]
public sealed class SignalCollection;

/// <summary>
/// SIGTERM and SIGINT stop the long commands the way Ctrl-C does (finish the slice, deliver, print the summary),
/// within 10 s; a second signal stops at once. Real child processes, real signals (kill(1)).
/// </summary>
[Collection(nameof(SignalCollection))]
public sealed class SignalTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("fuzzfarm-signal-").FullName;
    private readonly List<HarnessProcess> _processes = [];

    [Fact]
    public async Task TimeoutRun_ReturnsWithin25Seconds_WithTheSummary()
    {
        // The reproduction: `timeout 15 fuzzfarm run` (SIGTERM at 15 s) returned after 49 s or never.
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        var r = await ProcessHarness.Run("timeout", ["15", ProcessHarness.Dotnet, ProcessHarness.FuzzFarmDll, .. RunArgs("t")], TimeSpan.FromSeconds(60), ct);
        output.WriteLine($"returned after {clock.Elapsed.TotalSeconds:F1} s\n{r}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"timeout 15 fuzzfarm run took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("SIGTERM", r.Err, StringComparison.Ordinal);
        Assert.Contains("finding(s):", r.Out, StringComparison.Ordinal);
        Assert.Contains("findings: ", r.Out, StringComparison.Ordinal);
        // Orleans' own log goes to DATA/silo.log, not the terminal.
        Assert.DoesNotContain("Orleans.", r.Out + r.Err, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "data-t", "silo.log")));
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Run_StopsOnSignal_DeliversAndPrintsTheSummary(string signal)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = Start("run", RunArgs(signal));
        Assert.True(await run.WaitForOutput("machine grains (", TimeSpan.FromSeconds(60), ct), run.Output);
        await Task.Delay(3000, ct);
        var stopped = await Signal(run, signal, ct);
        Assert.True(stopped < StopLimit, $"stopped {stopped.TotalSeconds:F1} s after SIG{signal}\n{run.Output}");
        Assert.Contains("stopping: machine grains deliver", run.Output, StringComparison.Ordinal);
        Assert.Contains("finding(s):", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SecondSignal_StopsAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = Start("run", RunArgs("twice"));
        Assert.True(await run.WaitForOutput("machine grains (", TimeSpan.FromSeconds(60), ct), run.Output);
        await ProcessHarness.Run("kill", ["-INT", $"{run.Id}"], TimeSpan.FromSeconds(5), ct);
        await Task.Delay(1000, ct); // a signal within 0.5 s of the first is the same one delivered twice (timeout(1) does that)
        await ProcessHarness.Run("kill", ["-INT", $"{run.Id}"], TimeSpan.FromSeconds(5), ct);
        var clock = Stopwatch.StartNew();
        Assert.True(await run.WaitForExit(TimeSpan.FromSeconds(5), ct), run.Output);
        output.WriteLine($"exited {clock.Elapsed.TotalSeconds:F1} s after the second SIGINT\n{run.Output}");
        Assert.Contains("second signal", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silo_StopsOnSigterm()
    {
        var ct = TestContext.Current.CancellationToken;
        var ports = ProcessHarness.FreePorts(2);
        var silo = Start("silo", ["silo", "--data", Path.Combine(_dir, "silo"), "--http", "off", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}"]);
        Assert.True(await silo.WaitForOutput("silo up", TimeSpan.FromSeconds(60), ct), silo.Output);
        var stopped = await Signal(silo, "TERM", ct);
        Assert.True(stopped < StopLimit, $"silo stopped {stopped.TotalSeconds:F1} s after SIGTERM\n{silo.Output}");
        Assert.Contains("silo stopped", silo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fuzz_StopsOnSigterm_WithItsSummary()
    {
        var ct = TestContext.Current.CancellationToken;
        var fuzz = Start("fuzz", ["fuzz", "--variant", "realm-v2", "--no-edges", "--max-seconds", "300", "--out", Path.Combine(_dir, "fuzz")]);
        Assert.True(await fuzz.WaitForOutput("SEED=", TimeSpan.FromSeconds(60), ct), fuzz.Output);
        await Task.Delay(2000, ct);
        var stopped = await Signal(fuzz, "TERM", ct);
        Assert.True(stopped < StopLimit, $"fuzz stopped {stopped.TotalSeconds:F1} s after SIGTERM\n{fuzz.Output}");
        Assert.Contains("model-state features", fuzz.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explore_StopsOnSigterm_SayingItProvedNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var explore = Start("explore", ["explore", "--variant", "realm-v2-trylock-held", "--depth", "14", "--env", "adversarial",
            "--invariant", "tlb-conflict", "--machine-of", Corpus.PathOf("Z3")]);
        Assert.True(await explore.WaitForOutput("depth", TimeSpan.FromSeconds(60), ct), explore.Output);
        await Task.Delay(3000, ct);
        var stopped = await Signal(explore, "TERM", ct);
        Assert.True(stopped < StopLimit, $"explore stopped {stopped.TotalSeconds:F1} s after SIGTERM\n{explore.Output}");
        Assert.Contains("not a proof", explore.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verdicts_StopsOnSigterm_WithTheTable()
    {
        var ct = TestContext.Current.CancellationToken;
        var verdicts = Start("verdicts", ["verdicts", Corpus.PathOf("Z8"), "--execs", "100000000", "--depth", "0"]);
        await Task.Delay(5000, ct);
        var stopped = await Signal(verdicts, "TERM", ct);
        Assert.True(stopped < StopLimit, $"verdicts stopped {stopped.TotalSeconds:F1} s after SIGTERM\n{verdicts.Output}");
        Assert.Contains("root cause", verdicts.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", verdicts.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_StopsOnSigterm_WithTheFiguresSoFar()
    {
        var ct = TestContext.Current.CancellationToken;
        var bench = Start("bench", ["bench", "--no-afl", "--seconds", "120"]);
        Assert.True(await bench.WaitForOutput("(a) fuzz loop", TimeSpan.FromSeconds(60), ct), bench.Output);
        await Task.Delay(4000, ct);
        var stopped = await Signal(bench, "TERM", ct);
        Assert.True(stopped < StopLimit, $"bench stopped {stopped.TotalSeconds:F1} s after SIGTERM\n{bench.Output}");
        Assert.Contains("execs_per_sec_per_core", bench.Output, StringComparison.Ordinal);
        Assert.Contains("interrupted", bench.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondRun_OnTheSameData_SaysWhoHoldsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = Start("first", RunArgs("lock"));
        Assert.True(await first.WaitForOutput("fuzzfarm run: local silo", TimeSpan.FromSeconds(60), ct), first.Output);
        var ports = ProcessHarness.FreePorts(2);
        var second = await ProcessHarness.Run(ProcessHarness.Dotnet,
            [ProcessHarness.FuzzFarmDll, "run", "--data", Path.Combine(_dir, "data-lock"), "--http", "off", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--max-seconds", "5"],
            TimeSpan.FromSeconds(60), ct);
        output.WriteLine(second.ToString());
        Assert.Equal(2, second.Code);
        Assert.Contains($"pid {first.Id}", second.Err, StringComparison.Ordinal);
        Assert.Single(second.Err.Trim().Split('\n'));
    }

    private string[] RunArgs(string name)
    {
        var ports = ProcessHarness.FreePorts(2);
        return ["run", "--data", Path.Combine(_dir, $"data-{name}"), "--http", "off", "--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}"];
    }

    private HarnessProcess Start(string name, string[] args)
    {
        var p = HarnessProcess.Start(ProcessHarness.Dotnet, [ProcessHarness.FuzzFarmDll, .. args], Path.Combine(_dir, $"{name}.log"));
        _processes.Add(p);
        return p;
    }

    /// <summary>Sends SIG<paramref name="signal"/> and returns how long the process took to exit (fails after 20 s).</summary>
    private async Task<TimeSpan> Signal(HarnessProcess p, string signal, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await ProcessHarness.Run("kill", [$"-{signal}", $"{p.Id}"], TimeSpan.FromSeconds(5), ct);
        var exited = await p.WaitForExit(TimeSpan.FromSeconds(20), ct);
        output.WriteLine($"SIG{signal}: exited={exited} after {clock.Elapsed.TotalSeconds:F1} s\n{p.Output}");
        Assert.True(exited, $"still running 20 s after SIG{signal}");
        return clock.Elapsed;
    }

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold a file for a moment.
        }
    }
}
