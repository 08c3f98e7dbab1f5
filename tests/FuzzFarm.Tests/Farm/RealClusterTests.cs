using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FuzzFarm.Cli;

namespace FuzzFarm.Tests.Farm;

/// <summary>The real-cluster test runs alone: three silos and Redis need the machine's cores to themselves.</summary>
[CollectionDefinition(nameof(RealClusterCollection), DisableParallelization = true)]
public sealed class RealClusterCollection;

/// <summary>
/// The farm as it is deployed: redis-server, three <c>fuzzfarm silo</c> processes and the <c>fuzzfarm campaign</c>
/// client, on loopback. A silo is SIGKILLed mid-campaign and restarted, then Redis is restarted (append-only file, so
/// grain state survives); at the end every report a machine grain made durable (the silos' report journals) must
/// be in the aggregator's findings, once per signature.
/// </summary>
[Collection(nameof(RealClusterCollection))]
public sealed class RealClusterTests(ITestOutputHelper output) : IDisposable
{
    private const string CampaignName = "kill";
    private const int Silos = 3;
    private const double CampaignSeconds = 40;

    private static readonly string[] _machines = ["cpus=2 bbml2=0 ram=4G", "cpus=4 bbml2=0,1,2 ram=4G"];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-kill-{Guid.NewGuid():N}");
    private readonly string _clusterId = $"kill-{Guid.NewGuid():N}"[..17];
    private readonly List<HarnessProcess> _processes = [];
    private readonly HarnessProcess?[] _silos = new HarnessProcess?[Silos];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int[] _ports = [];
    private HarnessProcess? _redis;
    private bool _passed;

    private int RedisPort => _ports[0];

    private int SiloPort(int i) => _ports[1 + i];

    private int GatewayPort(int i) => _ports[1 + Silos + i];

    private string Journal(int i) => Path.Combine(_dir, $"journal-{i}.log");

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task SiloKillAndRedisRestart_LoseNoDurableReport_AndDuplicateNoSignature()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_dir);
        _ports = ProcessHarness.FreePorts(1 + 2 * Silos);
        Log($"dir {_dir}, cluster '{_clusterId}', redis port {RedisPort}, silo ports {string.Join(',', Enumerable.Range(0, Silos).Select(SiloPort))}");
        try
        {
            // 1. Redis with an append-only file, 2. three silos.
            await StartRedis(ct);
            for (var i = 0; i < Silos; i++) StartSilo(i);
            for (var i = 0; i < Silos; i++) await WaitForSilo(i, ct);
            Log("redis and 3 silos up");

            // 3. The campaign, through the client command.
            string[] start =
            [
                "campaign", "start", "--name", CampaignName, .. _machines.SelectMany(m => new[] { "--machine", m }),
                "--variants", "realm-v2,canary,realm-v2-trylock", "--envs", "adversarial,strict",
                "--max-seconds", CampaignSeconds.ToString(CultureInfo.InvariantCulture),
            ];
            var started = await Cli(start, ct);
            Assert.True(started.Code == ExitCodes.Clean, $"campaign start failed: {started}");
            var campaignStart = _clock.Elapsed;
            Log(started.Out.Trim());

            // 4a. SIGKILL the silo holding the most machine grains, restart it on the same ports 3 s later.
            var findingsCall = Findings(ct);
            var before = await PollStatus(_ => true, _clock.Elapsed + TimeSpan.FromSeconds(30), ct);
            var findingsAtKill = await findingsCall;
            var placement = before.Machines.GroupBy(m => SiloIndex(m.Silo)).Where(g => g.Key >= 0).ToDictionary(g => g.Key, g => g.Select(m => m.Key).ToList());
            Assert.True(placement.Count > 0, $"no machine grain is on a known silo: {string.Join(", ", before.Machines.Select(m => m.Silo))}");
            var victim = placement.MaxBy(kv => kv.Value.Count).Key;
            var victimGrains = placement[victim];
            var journalAtKill = ReadJournals();
            _silos[victim]!.Kill();
            Log($"SIGKILLed silo {victim} (port {SiloPort(victim)}) holding {victimGrains.Count}/{before.Machines.Count} machine grains; " +
                $"aggregator had {findingsAtKill.Count} finding(s) from {findingsAtKill.Sum(f => f.Hits)} report(s), " +
                $"journals {journalAtKill.Select(r => (r.Machine, r.Sequence)).Distinct().Count()} durable report(s)");
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            StartSilo(victim);
            await WaitForSilo(victim, ct);
            Log($"silo {victim} restarted");

            // 4b. Restart Redis: SHUTDOWN NOSAVE (the append-only file is flushed), start it on the same directory.
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            var keysBefore = await ProcessHarness.Redis(RedisPort, "DBSIZE", ct);
            await ProcessHarness.Redis(RedisPort, "SHUTDOWN NOSAVE", ct);
            if (!await _redis!.WaitForExit(TimeSpan.FromSeconds(15), ct)) _redis.Kill();
            Log($"redis stopped (keys {keysBefore})");
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            await StartRedis(ct);
            var keysAfter = await ProcessHarness.Redis(RedisPort, "DBSIZE", ct);
            Log($"redis restarted (keys {keysAfter}), {(campaignStart + TimeSpan.FromSeconds(CampaignSeconds) - _clock.Elapsed).TotalSeconds:F0} s of the campaign budget left");
            Assert.True(keysAfter is [':', ..] && long.Parse(keysAfter[1..], CultureInfo.InvariantCulture) > 0, $"Redis lost its data over the restart: DBSIZE {keysBefore} -> {keysAfter}");

            // 5. Let the campaign finish, stop it (machine grains deliver what they hold), wait for empty outboxes.
            var status = await PollStatus(s => s.State is "finished" or "stopped", campaignStart + TimeSpan.FromSeconds(CampaignSeconds + 45), ct);
            Log($"campaign {status.State}: {status.Executions:N0} executions, {status.Findings} findings, outboxes {status.Machines.Sum(m => m.Outbox)}, " +
                $"silos {string.Join(", ", status.Machines.GroupBy(m => SiloIndex(m.Silo)).Select(g => $"{g.Key}:{g.Count()}"))}");
            Assert.True(status.State is "finished" or "stopped", $"the campaign did not finish: {status.State}, {status.Machines.Count(m => m.Running)} machine grains running");
            var stopped = await Cli(["campaign", "stop", "--name", CampaignName], ct);
            Assert.True(stopped.Code == ExitCodes.Clean, $"campaign stop failed: {stopped}");
            status = await PollStatus(s => s.Machines.Count > 0 && s.Machines.All(m => m.Outbox == 0 && m.Silo != "unreachable"), _clock.Elapsed + TimeSpan.FromSeconds(60), ct);
            Assert.True(status.Machines.All(m => m.Outbox == 0),
                $"outboxes not drained: {string.Join(", ", status.Machines.Where(m => m.Outbox != 0).Select(m => $"{m.Key}={m.Outbox} on {m.Silo}"))}");

            // 6. Every durable report reached the aggregator; no signature twice.
            var findings = await Findings(ct);
            var journal = ReadJournals();
            var reports = journal.GroupBy(r => (r.Machine, r.Sequence)).ToList();
            var signatures = findings.Select(f => f.SignatureKey).ToHashSet(StringComparer.Ordinal);
            var linesAtKill = journalAtKill.GroupBy(r => r.Silo).ToDictionary(g => g.Key, g => g.Count());
            var afterKill = journal.Where(r => r.Line >= linesAtKill.GetValueOrDefault(r.Silo)).ToList();
            var durableAtKill = journalAtKill.Select(r => (r.Machine, r.Sequence)).ToHashSet();
            Log($"journals: {journal.Count} durable report line(s), {reports.Count} distinct (machine, sequence), {journal.Select(r => r.Signature).Distinct(StringComparer.Ordinal).Count()} signature(s)");
            Log($"aggregator: {findings.Count} finding(s) from {findings.Sum(f => f.Hits)} report(s); delivered after the kill: " +
                $"{findings.Count - findingsAtKill.Count} new finding(s), {findings.Sum(f => f.Hits) - findingsAtKill.Sum(f => f.Hits)} report(s); " +
                $"journaled after the kill: {afterKill.Count} report line(s), {afterKill.Count(r => victimGrains.Contains(r.Machine))} by the killed silo's machine grains, " +
                $"{afterKill.Count(r => durableAtKill.Contains((r.Machine, r.Sequence)))} of them re-journaled from an outbox that was durable at the kill");
            Log($"total {_clock.Elapsed.TotalSeconds:F0} s");

            Assert.NotEmpty(journal);
            var reused = reports.Where(g => g.Select(r => r.Signature).Distinct(StringComparer.Ordinal).Count() > 1).ToList();
            Assert.True(reused.Count == 0, "a durable (machine, sequence) was journaled with two signatures (durable state lost): " +
                string.Join("; ", reused.Take(5).Select(g => $"{g.Key.Machine}#{g.Key.Sequence}: {string.Join(", ", g.Select(r => r.Signature).Distinct())}")));
            var lost = journal.Where(r => !signatures.Contains(r.Signature)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} durable report(s) missing from the aggregator: " +
                string.Join("; ", lost.Take(10).Select(r => $"{r.Machine}#{r.Sequence} {r.Signature}")));
            // Each durable report counts once: a signature's hits cover at least its distinct durable (machine, sequence) reports.
            var hits = findings.GroupBy(f => f.SignatureKey, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(f => f.Hits), StringComparer.Ordinal);
            var undercounted = reports.GroupBy(g => g.First().Signature, StringComparer.Ordinal).Where(g => hits[g.Key] < g.Count()).ToList();
            Assert.True(undercounted.Count == 0, "durable reports not counted by the aggregator: " +
                string.Join("; ", undercounted.Take(10).Select(g => $"{g.Key}: {g.Count()} durable report(s), {hits[g.Key]} hit(s)")));
            var duplicates = findings.GroupBy(f => f.SignatureKey, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, $"signatures listed twice: {string.Join(", ", duplicates)}");
            Assert.NotEmpty(findings);
            Assert.Contains(findings, f => f.Variant == "realm-v2" && f.Invariant == "tlb-conflict");
            Assert.Contains(findings, f => f.Variant == "canary");
            _passed = true;
        }
        catch (Exception) when (!_passed)
        {
            Log("FAILED; process logs (tails) follow; everything is kept in " + _dir);
            foreach (var p in _processes.Select(p => p.LogPath).Distinct()) output.WriteLine($"---- {p}\n{ProcessHarness.Tail(p, 40)}");
            throw;
        }
    }

    private sealed record Machine(string Key, bool Running, long Executions, int Findings, int Outbox, string Silo);

    private sealed record Campaign(string State, long Executions, int Findings, IReadOnlyList<Machine> Machines);

    private sealed record Finding(string SignatureKey, string Variant, string Invariant, long Hits);

    private sealed record JournalLine(int Silo, int Line, string Machine, long Sequence, string Signature);

    private async Task StartRedis(CancellationToken ct)
    {
        _redis = Track(HarnessProcess.Start("redis-server",
            ["--port", RedisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _dir, "--appendonly", "yes", "--save", ""],
            Path.Combine(_dir, "redis.log")));
        Assert.True(await ProcessHarness.WaitForRedis(RedisPort, TimeSpan.FromSeconds(30), ct), $"redis-server did not answer PING:\n{_redis.Output}");
    }

    private void StartSilo(int i)
    {
        _silos[i] = Track(HarnessProcess.Start(ProcessHarness.Dotnet,
        [
            ProcessHarness.FuzzFarmDll, "silo", "--redis", $"127.0.0.1:{RedisPort}", "--address", "127.0.0.1",
            "--silo-port", SiloPort(i).ToString(CultureInfo.InvariantCulture), "--gateway-port", GatewayPort(i).ToString(CultureInfo.InvariantCulture),
            "--cluster-id", _clusterId, "--report-journal", Journal(i), "--http", "127.0.0.1:0",
        ], Path.Combine(_dir, $"silo-{i}.log")));
    }

    private async Task WaitForSilo(int i, CancellationToken ct) =>
        Assert.True(await _silos[i]!.WaitForOutput("silo up", TimeSpan.FromSeconds(60), ct), $"silo {i} did not come up:\n{_silos[i]!.Output}");

    private HarnessProcess Track(HarnessProcess p)
    {
        _processes.Add(p);
        return p;
    }

    private int SiloIndex(string silo)
    {
        // "S127.0.0.1:PORT:GENERATION"
        var parts = silo.Split(':');
        if (parts.Length < 2 || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var port)) return -1;
        return Array.IndexOf(_ports, port, 1, Silos) - 1 is var i && i >= 0 ? i : -1;
    }

    private Task<CommandResult> Cli(string[] args, CancellationToken ct) =>
        ProcessHarness.Run(ProcessHarness.Dotnet, [ProcessHarness.FuzzFarmDll, .. args, "--redis", $"127.0.0.1:{RedisPort}", "--cluster-id", _clusterId],
            TimeSpan.FromSeconds(60), ct);

    private async Task<Campaign> Status(CancellationToken ct)
    {
        var r = await Cli(["campaign", "status", "--name", CampaignName, "--json"], ct);
        Assert.True(r.Code == ExitCodes.Clean, $"campaign status failed: {r}");
        using var doc = JsonDocument.Parse(JsonPart(r.Out));
        var root = doc.RootElement;
        return new Campaign(
            root.GetProperty("state").GetString()!,
            root.GetProperty("executions").GetInt64(),
            root.GetProperty("findings").GetInt32(),
            [.. root.GetProperty("machines").EnumerateArray().Select(m => new Machine(
                m.GetProperty("key").GetString()!, m.GetProperty("running").GetBoolean(), m.GetProperty("executions").GetInt64(),
                m.GetProperty("findings").GetInt32(), m.GetProperty("outbox").GetInt32(), m.GetProperty("silo").GetString()!))]);
    }

    /// <summary>Status until <paramref name="done"/> or the deadline (a failed status call is retried); the last status.</summary>
    private async Task<Campaign> PollStatus(Func<Campaign, bool> done, TimeSpan deadline, CancellationToken ct)
    {
        Campaign? last = null;
        while (true)
        {
            try
            {
                last = await Status(ct);
                if (done(last)) return last;
            }
            catch (Exception e) when (e is Xunit.Sdk.XunitException or JsonException && _clock.Elapsed < deadline)
            {
                Log($"status not available yet: {e.Message.Split('\n')[0]}");
            }

            if (_clock.Elapsed >= deadline) return last ?? await Status(ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
    }

    private async Task<List<Finding>> Findings(CancellationToken ct)
    {
        var r = await Cli(["campaign", "findings", "--json"], ct);
        Assert.True(r.Code is ExitCodes.Clean or ExitCodes.Violation, $"campaign findings failed: {r}");
        using var doc = JsonDocument.Parse(JsonPart(r.Out));
        return [.. doc.RootElement.EnumerateArray().Select(f => new Finding(
            f.GetProperty("signature_key").GetString()!, f.GetProperty("variant").GetString()!, f.GetProperty("invariant").GetString()!, f.GetProperty("hits").GetInt64()))];
    }

    /// <summary>The indented JSON document in a client's stdout (the client's own log lines may surround it).</summary>
    private static string JsonPart(string stdout)
    {
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var first = lines.FindIndex(l => l is "{" or "[" or "[]");
        if (first < 0) throw new JsonException($"no JSON in the output:\n{stdout}");
        if (lines[first] == "[]") return "[]";
        var close = lines[first] == "{" ? "}" : "]";
        var last = lines.FindIndex(first, l => l == close);
        if (last < 0) throw new JsonException($"unterminated JSON in the output:\n{stdout}");
        return string.Join('\n', lines.Skip(first).Take(last - first + 1));
    }

    /// <summary>Every line of every silo's report journal (only whole lines: a silo may be appending).</summary>
    private List<JournalLine> ReadJournals()
    {
        var lines = new List<JournalLine>();
        for (var i = 0; i < Silos; i++)
        {
            if (!File.Exists(Journal(i))) continue;
            string text;
            using (var stream = new FileStream(Journal(i), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var reader = new StreamReader(stream, Encoding.UTF8))
                text = reader.ReadToEnd();
            var n = 0;
            foreach (var line in text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.Split('\t');
                Assert.True(f.Length == 3 && long.TryParse(f[1], CultureInfo.InvariantCulture, out _), $"journal {i}: malformed line '{line}'");
                lines.Add(new JournalLine(i, n++, f[0], long.Parse(f[1], CultureInfo.InvariantCulture), f[2]));
            }
        }

        return lines;
    }

    private void Log(string message) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,5:F1}s] {message}");

    public void Dispose()
    {
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
