namespace FuzzFarm.Farm;

/// <summary>
/// One finding as a machine grain reports it. <see cref="MachineKey"/> + <see cref="Sequence"/> identify the report:
/// a machine grain numbers its reports 1, 2, 3… and delivers them in order, so the ledger accepts each exactly once.
/// </summary>
[GenerateSerializer, Immutable, Alias("fuzzfarm.FindingReport")]
public sealed record FindingReport
{
    [Id(0)] public required string MachineKey { get; init; }
    [Id(1)] public required long Sequence { get; init; }
    [Id(2)] public required string SignatureKey { get; init; }
    [Id(3)] public required string Title { get; init; }
    [Id(4)] public required string Variant { get; init; }
    [Id(5)] public required string Invariant { get; init; }
    [Id(6)] public required string Where { get; init; }
    [Id(7)] public required string Detail { get; init; }
    [Id(8)] public required string Env { get; init; }
    [Id(9)] public required string Trace { get; init; }
    [Id(10)] public required int Events { get; init; }
    [Id(11)] public required long FoundAtExecution { get; init; }
    [Id(12)] public required DateTimeOffset FoundAt { get; init; }
    [Id(13)] public string Assumptions { get; init; } = "";
    [Id(14)] public string Machine { get; init; } = "";

    /// <summary>Times the signature was hit on that machine since the last report (1 for a new finding).</summary>
    [Id(15)] public long Hits { get; init; } = 1;

    /// <summary>The W3C trace context of the span that found and minimized it (empty when nothing was tracing).</summary>
    [Id(16)] public string TraceParent { get; init; } = "";

    /// <summary>The versions on which the reproducer shows this root cause (comma-separated, history order).</summary>
    [Id(17)] public string Reproduces { get; init; } = "";

    /// <summary>The kernel callers (catalog functions) the reproducer's calls are (comma-separated; empty: none).</summary>
    [Id(18)] public string Callers { get; init; } = "";
}

/// <summary>The aggregator's record of one signature across the cluster.</summary>
[GenerateSerializer, Alias("fuzzfarm.FindingRecord")]
public sealed class FindingRecord
{
    [Id(0)] public string SignatureKey { get; set; } = "";
    [Id(1)] public string Title { get; set; } = "";
    [Id(2)] public string Variant { get; set; } = "";
    [Id(3)] public string Invariant { get; set; } = "";
    [Id(4)] public string Where { get; set; } = "";
    [Id(5)] public string Detail { get; set; } = "";
    [Id(6)] public string Env { get; set; } = "";
    [Id(7)] public string SmallestTrace { get; set; } = "";
    [Id(8)] public int SmallestEvents { get; set; }
    [Id(9)] public DateTimeOffset FirstSeen { get; set; }
    [Id(10)] public DateTimeOffset LastSeen { get; set; }
    [Id(11)] public long Hits { get; set; }
    [Id(12)] public List<string> Machines { get; set; } = [];
    [Id(13)] public List<string> Variants { get; set; } = [];
    [Id(14)] public string Assumptions { get; set; } = "";

    /// <summary>The report (machine, sequence) that first brought this signature.</summary>
    [Id(15)] public string FirstReport { get; set; } = "";

    /// <summary>Per version that showed this root cause, the fewest environment assumptions it was reported with.</summary>
    [Id(16)] public Dictionary<string, string> VersionAssumptions { get; set; } = [];

    /// <summary>The versions on which the kept reproducer shows this root cause (history order).</summary>
    [Id(17)] public List<string> Reproduces { get; set; } = [];

    /// <summary>The kernel callers the kept reproducer's calls are (catalog functions; empty: none).</summary>
    [Id(18)] public List<string> Callers { get; set; } = [];
}

/// <summary>What an ingest did: new signatures, smaller reproducers, duplicates, and replays ignored.</summary>
[GenerateSerializer, Immutable, Alias("fuzzfarm.IngestResult")]
public readonly record struct IngestResult(
    [property: Id(0)] int NewSignatures,
    [property: Id(1)] int SmallerReproducers,
    [property: Id(2)] int Duplicates,
    [property: Id(3)] int Replayed);

/// <summary>A machine grain's job: one machine configuration (or a swarm), one variant, one environment.</summary>
[GenerateSerializer, Immutable, Alias("fuzzfarm.MachineAssignment")]
public sealed record MachineAssignment
{
    [Id(0)] public required string Campaign { get; init; }

    /// <summary>A machine spec (a trace's machine line), or "swarm".</summary>
    [Id(1)] public required string Machine { get; init; }
    [Id(2)] public required string Variant { get; init; }
    [Id(3)] public required string Env { get; init; }
    [Id(4)] public required ulong Seed { get; init; }

    /// <summary>Stop after this many executions (0: no limit).</summary>
    [Id(5)] public long MaxExecutions { get; init; }

    /// <summary>Stop at this time (null: no limit).</summary>
    [Id(6)] public DateTimeOffset? Deadline { get; init; }

    /// <summary>Peers (machine grain keys of the same variant and env) to offer new corpus entries to.</summary>
    [Id(7)] public IReadOnlyList<string> Peers { get; init; } = [];

    /// <summary>The C text of <see cref="Variant"/> when it is not a shipped version: the silo compiles it.</summary>
    [Id(8)] public VersionText? Text { get; init; }
}

/// <summary>
/// A version given as kernel C text (a patch already applied by the client): shipped with the campaign and compiled
/// by each silo at grain activation, so a cluster fuzzes a version none of its silos was built with.
/// </summary>
[GenerateSerializer, Immutable, Alias("fuzzfarm.VersionText")]
public sealed record VersionText
{
    /// <summary>The version's id in the campaign (its column), not one of the shipped ids.</summary>
    [Id(0)] public required string Id { get; init; }

    /// <summary>The shipped version it changes: what the text does not define comes from it.</summary>
    [Id(1)] public string? Base { get; init; }

    /// <summary>Where the text came from (file name), for errors and provenance.</summary>
    [Id(2)] public required string Name { get; init; }

    /// <summary>The C text.</summary>
    [Id(3)] public required string Text { get; init; }

    /// <summary>Largest text a campaign takes (the front end's own limit).</summary>
    public const int MaxBytes = 1 << 20;
}

/// <summary>A machine grain's progress.</summary>
[GenerateSerializer, Immutable, Alias("fuzzfarm.MachineStatus")]
public sealed record MachineStatus
{
    [Id(0)] public string Key { get; init; } = "";
    [Id(1)] public bool Running { get; init; }
    [Id(2)] public long Executions { get; init; }
    [Id(3)] public int Corpus { get; init; }
    [Id(4)] public int Features { get; init; }
    [Id(5)] public int Findings { get; init; }
    [Id(6)] public int Outbox { get; init; }
    [Id(7)] public long Retries { get; init; }
    [Id(8)] public string Silo { get; init; } = "";
    [Id(9)] public int InputsImported { get; init; }

    /// <summary>Live guard reads by answer ("cpus_read_trylock:false" → count) since this activation began (see GuardCoverage).</summary>
    [Id(10)] public IReadOnlyDictionary<string, long> Guards { get; init; } = new Dictionary<string, long>();

    /// <summary>Executions of this activation's session (Executions also counts earlier activations).</summary>
    [Id(20)] public long SessionExecutions { get; init; }

    /// <summary>Events of those executions' programs: the mean program length is Events / SessionExecutions.</summary>
    [Id(21)] public long Events { get; init; }

    /// <summary>Of <see cref="Events"/>, those skipped as impossible where they stood (no kernel call ran).</summary>
    [Id(22)] public long SkippedEvents { get; init; }

    /// <summary>Page-table pages this session's runs allocated (the mean per run: / SessionExecutions).</summary>
    [Id(23)] public long TablePages { get; init; }

    /// <summary>Boot-layout block bytes this session's runs left page-mapped.</summary>
    [Id(24)] public long BlockBytesLost { get; init; }

    /// <summary>Leaves this session's runs created.</summary>
    [Id(25)] public long Leaves { get; init; }

    /// <summary>
    /// The executions <see cref="TablePages"/>, <see cref="BlockBytesLost"/> and <see cref="Leaves"/> cover: this
    /// session's, or the last one's once the grain stopped (they stay readable in a finished campaign).
    /// </summary>
    [Id(26)] public long FragmentationExecutions { get; init; }
}

/// <summary>A campaign: machines × variants × environments × budget.</summary>
[GenerateSerializer, Immutable, Alias("fuzzfarm.CampaignSpec")]
public sealed record CampaignSpec
{
    /// <summary>Machine specs, or "swarm" entries (each a machine shape drawn from the seed per epoch).</summary>
    [Id(0)] public required IReadOnlyList<string> Machines { get; init; }
    [Id(1)] public required IReadOnlyList<string> Variants { get; init; }
    [Id(2)] public required IReadOnlyList<string> Envs { get; init; }
    [Id(3)] public ulong Seed { get; init; }
    [Id(4)] public long MaxExecutionsPerMachine { get; init; }
    [Id(5)] public double? MaxSeconds { get; init; }

    /// <summary>Versions given as C text; their ids are in <see cref="Variants"/> too.</summary>
    [Id(6)] public IReadOnlyList<VersionText> Texts { get; init; } = [];
}

/// <summary>A campaign's state as the client sees it.</summary>
[GenerateSerializer, Immutable, Alias("fuzzfarm.CampaignStatus")]
public sealed record CampaignStatus
{
    [Id(0)] public string Name { get; init; } = "";
    [Id(1)] public string State { get; init; } = "none";
    [Id(2)] public IReadOnlyList<MachineStatus> Machines { get; init; } = [];
    [Id(3)] public long Executions { get; init; }
    [Id(4)] public int Findings { get; init; }
    [Id(5)] public DateTimeOffset? Started { get; init; }

    /// <summary>Set by Start when the campaign was running already: the options given were not applied.</summary>
    [Id(6)] public bool AlreadyRunning { get; init; }
}
