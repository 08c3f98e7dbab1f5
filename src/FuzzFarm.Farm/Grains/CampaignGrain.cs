using System.Diagnostics;
using FuzzFarm.Language;
using FuzzFarm.Telemetry;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Farm;

/// <summary>A campaign's durable state.</summary>
[GenerateSerializer, Alias("fuzzfarm.CampaignGrainState")]
public sealed class CampaignGrainState
{
    [Id(0)] public CampaignSpec? Spec { get; set; }
    [Id(1)] public List<string> Machines { get; set; } = [];
    [Id(2)] public string State { get; set; } = "none";
    [Id(3)] public DateTimeOffset? Started { get; set; }
}

/// <summary>
/// A campaign: machines × variants × environments × budget. Start creates one machine grain per combination (a
/// stable key, so a restart finds the same grains), a timer pings them while the campaign runs (which also
/// reactivates a grain whose silo died), Status gathers their progress.
/// </summary>
public sealed class CampaignGrain(
    [PersistentState("campaign", FarmKeys.Storage)] IPersistentState<CampaignGrainState> state,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<FarmOptions> options,
    ILogger<CampaignGrain> logger) : Grain, ICampaignGrain
{
    private IGrainTimer? _keepAlive;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.State == "running" && options.Value.Resume) StartKeepAlive();
        return Task.CompletedTask;
    }

    /// <summary>Longest time budget a campaign takes (about 115 days).</summary>
    public const double MaxSeconds = 1e7;

    /// <summary>What is wrong with a spec, one line each: the silo and the client check with this same code.</summary>
    public static IReadOnlyList<string> Problems(CampaignSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var problems = new List<string>();
        if (spec.Machines.Count == 0 || spec.Variants.Count == 0 || spec.Envs.Count == 0)
            problems.Add("a campaign needs at least one machine, variant and env");
        foreach (var m in spec.Machines.Where(m => m != "swarm"))
        {
            try
            {
                TraceParser.ParseMachine(m);
            }
            catch (Exception e) when (e is TraceFormatException or Model.MachineConfigException)
            {
                problems.Add($"--machine \"{(m.Length > 80 ? m[..80] + "…" : m)}\": {e.Message.Replace("--machine:1: ", "", StringComparison.Ordinal)}");
            }
        }

        foreach (var env in spec.Envs.Where(e => e is not ("strict" or "adversarial")))
            problems.Add($"--envs: '{env}' is not an environment (strict or adversarial)");
        if (spec.MaxSeconds is { } s && !(s > 0 && s <= MaxSeconds))
            problems.Add($"--max-seconds: {s.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not in (0, {MaxSeconds:0}] seconds");
        if (spec.MaxExecutionsPerMachine < 0) problems.Add($"--max-execs: {spec.MaxExecutionsPerMachine} is negative");
        foreach (var t in spec.Texts)
        {
            if (!spec.Variants.Contains(t.Id)) problems.Add($"--version-file {t.Name}: its id '{t.Id}' is not among the campaign's versions");
            if (t.Text.Length > VersionText.MaxBytes) problems.Add($"--version-file {t.Name}: {t.Text.Length:N0} characters, at most {VersionText.MaxBytes:N0}");
        }

        if (spec.Texts.GroupBy(t => t.Id).FirstOrDefault(g => g.Count() > 1) is { } twice) problems.Add($"--version-file: two texts with the id '{twice.Key}'");
        return problems;
    }

    public async Task<CampaignStatus> Start(CampaignSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Problems(spec) is { Count: > 0 } problems) throw new ArgumentException(string.Join("; ", problems));
        if (state.State.State == "running")
        {
            var current = await Status();
            if (current.State == "running") return current with { AlreadyRunning = true };
            // Finished: start again with the options given now (the machine grains take a new assignment once stopped).
            await Task.WhenAll(state.State.Machines.Select(k => GrainFactory.GetGrain<IMachineGrain>(k).Stop()));
        }

        var name = this.GetPrimaryKeyString();
        using var span = FuzzFarmTelemetry.Source.StartActivity(FuzzFarmTelemetry.Activities.CampaignStart, ActivityKind.Internal);
        span?.SetTag(FuzzFarmTelemetry.Tags.Campaign, name).SetTag(FuzzFarmTelemetry.Tags.Silo, RuntimeIdentity);
        var deadline = spec.MaxSeconds is { } s ? time.GetUtcNow().AddSeconds(s) : (DateTimeOffset?)null;
        var jobs = new List<(string Key, MachineAssignment Assignment)>();
        foreach (var variant in spec.Variants)
        {
            foreach (var env in spec.Envs)
            {
                var peers = spec.Machines.Select((m, i) => Key(name, variant, env, m, i)).ToList();
                for (var i = 0; i < spec.Machines.Count; i++)
                {
                    var key = peers[i];
                    jobs.Add((key, new MachineAssignment
                    {
                        Campaign = name, Machine = spec.Machines[i], Variant = variant, Env = env,
                        Seed = SeedFor(spec.Seed, key), MaxExecutions = spec.MaxExecutionsPerMachine, Deadline = deadline, Peers = peers,
                        Text = spec.Texts.FirstOrDefault(t => t.Id == variant),
                    }));
                }
            }
        }

        state.State = new CampaignGrainState { Spec = spec, Machines = [.. jobs.Select(j => j.Key)], State = "running", Started = time.GetUtcNow() };
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ICampaignDirectoryGrain>(FarmKeys.Directory).Register(name);
        await GrainFactory.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Announce(name, spec.Variants, spec.Envs);
        await Task.WhenAll(jobs.Select(j => GrainFactory.GetGrain<IMachineGrain>(j.Key).Start(j.Assignment)));
        span?.SetTag(FuzzFarmTelemetry.Tags.Machines, jobs.Count);
        StartKeepAlive();
        logger.LogInformation("campaign {Name} started: {Count} machine grains", name, jobs.Count);
        return await Status();
    }

    public async Task Stop()
    {
        using var span = FuzzFarmTelemetry.Source.StartActivity(FuzzFarmTelemetry.Activities.CampaignStop, ActivityKind.Internal);
        span?.SetTag(FuzzFarmTelemetry.Tags.Campaign, this.GetPrimaryKeyString()).SetTag(FuzzFarmTelemetry.Tags.Silo, RuntimeIdentity)
            .SetTag(FuzzFarmTelemetry.Tags.Machines, state.State.Machines.Count);
        _keepAlive?.Dispose();
        _keepAlive = null;
        await Task.WhenAll(state.State.Machines.Select(k => GrainFactory.GetGrain<IMachineGrain>(k).Stop()));
        state.State.State = "stopped";
        await state.WriteStateAsync();
    }

    public async Task<CampaignStatus> Status()
    {
        var statuses = await Task.WhenAll(state.State.Machines.Select(async k =>
        {
            try
            {
                return await GrainFactory.GetGrain<IMachineGrain>(k).Status().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                return new MachineStatus { Key = k, Silo = "unreachable" };
            }
        }));
        var findings = (await GrainFactory.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings()).Count;
        var running = state.State.State == "running" && statuses.Any(s => s.Running);
        return new CampaignStatus
        {
            Name = this.GetPrimaryKeyString(),
            State = state.State.State == "running" && !running && statuses.Length > 0 && statuses.All(s => s.Silo != "unreachable") ? "finished" : state.State.State,
            Machines = statuses,
            Executions = statuses.Sum(s => s.Executions),
            Findings = findings,
            Started = state.State.Started,
        };
    }

    private void StartKeepAlive()
    {
        _keepAlive?.Dispose();
        // Interleaved and in parallel: pinging 48 machine grains one by one held the campaign grain (and so every
        // Status call to it) for tens of seconds on a busy silo.
        _keepAlive = this.RegisterGrainTimer(async ct => await Task.WhenAll(state.State.Machines.Select(async k =>
        {
            try
            {
                await GrainFactory.GetGrain<IMachineGrain>(k).Status().WaitAsync(TimeSpan.FromSeconds(5), ct);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException)
            {
                logger.LogDebug("campaign keep-alive: {Key} not reachable yet", k);
            }
        })), new GrainTimerCreationOptions { DueTime = TimeSpan.FromSeconds(2), Period = TimeSpan.FromSeconds(2), KeepAlive = true, Interleave = true });
    }

    /// <summary>The seed a machine grain of a campaign gets (the campaign seed mixed with its key).</summary>
    public static ulong SeedFor(ulong campaignSeed, string key) => campaignSeed ^ Stable(key);

    /// <summary>A stable grain key: campaign/variant/env/index-machinehash.</summary>
    public static string Key(string campaign, string variant, string env, string machine, int index) =>
        $"{campaign}/{variant}/{env}/{index}-{Stable(machine) & 0xffffffff:x8}";

    /// <summary>The campaign a machine grain key (<see cref="Key"/>) belongs to ("" for a key of another shape).</summary>
    public static string CampaignOf(string machineKey) =>
        machineKey.IndexOf('/', StringComparison.Ordinal) is > 0 and var i ? machineKey[..i] : "";

    private static ulong Stable(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s) h = (h ^ c) * 1099511628211UL;
        return h;
    }
}
