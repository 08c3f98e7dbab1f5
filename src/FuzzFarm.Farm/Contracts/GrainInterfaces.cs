namespace FuzzFarm.Farm;

/// <summary>One simulated machine configuration × variant × environment, fuzzed in bounded slices.</summary>
[Alias("fuzzfarm.IMachineGrain")]
public interface IMachineGrain : IGrainWithStringKey
{
    [Alias("Start")]
    Task Start(MachineAssignment assignment);

    [Alias("Stop")]
    Task Stop();

    /// <summary>
    /// Progress. Interleaves with a slice that is waiting for a core (a slice holds the grain until it has run), so
    /// a status call waits at most for one running slice, not for a turn at the silo's cores.
    /// </summary>
    [Alias("Status"), Orleans.Concurrency.AlwaysInterleave]
    Task<MachineStatus> Status();

    /// <summary>Corpus exchange: inputs (literal-encoded programs) that added coverage on a peer.</summary>
    [Alias("Offer"), Orleans.Concurrency.OneWay]
    Task Offer(IReadOnlyList<byte[]> inputs);
}

/// <summary>Per-silo pre-aggregation: folds a batch's duplicates and forwards one delta to the aggregator.</summary>
[Alias("fuzzfarm.IReportGateway")]
public interface IReportGateway : IGrainWithIntegerKey
{
    [Alias("Report")]
    Task<IngestResult> Report(IReadOnlyList<FindingReport> batch);
}

/// <summary>The central ledger: every finding of the cluster, deduplicated by signature, durable on acknowledgement.</summary>
[Alias("fuzzfarm.IAggregatorGrain")]
public interface IAggregatorGrain : IGrainWithStringKey
{
    [Alias("Ingest")]
    Task<IngestResult> Ingest(IReadOnlyList<FindingReport> batch);

    [Alias("Findings")]
    Task<IReadOnlyList<FindingRecord>> Findings();

    /// <summary>A campaign starts: its finding series begin at zero (so its first finding shows as an increase).</summary>
    [Alias("Announce")]
    Task Announce(string campaign, IReadOnlyList<string> variants, IReadOnlyList<string> envs);

    /// <summary>Variant × invariant: how many distinct signatures.</summary>
    [Alias("Matrix")]
    Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>> Matrix();
}

/// <summary>A campaign: start, stop, status, results.</summary>
[Alias("fuzzfarm.ICampaignGrain")]
public interface ICampaignGrain : IGrainWithStringKey
{
    [Alias("Start")]
    Task<CampaignStatus> Start(CampaignSpec spec);

    [Alias("Stop")]
    Task Stop();

    [Alias("Status")]
    Task<CampaignStatus> Status();
}

/// <summary>Every campaign ever started in the cluster, by name (what the web dashboard lists).</summary>
[Alias("fuzzfarm.ICampaignDirectoryGrain")]
public interface ICampaignDirectoryGrain : IGrainWithStringKey
{
    [Alias("Register")]
    Task Register(string campaign);

    [Alias("Names")]
    Task<IReadOnlyList<string>> Names();
}

/// <summary>Well-known grain keys.</summary>
public static class FarmKeys
{
    /// <summary>The one aggregator of a cluster.</summary>
    public const string Aggregator = "global";

    /// <summary>The one campaign directory of a cluster.</summary>
    public const string Directory = "global";

    /// <summary>The storage provider every FuzzFarm grain uses.</summary>
    public const string Storage = "fuzzfarm";
}
