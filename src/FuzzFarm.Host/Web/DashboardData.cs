using System.Text.Json.Serialization;
using FuzzFarm.Farm;

namespace FuzzFarm.Host.Web;

/// <summary>What the dashboard shows at one moment: every campaign's status and the aggregator's findings.</summary>
internal sealed record DashboardSnapshot(DateTimeOffset Time, IReadOnlyList<CampaignStatus> Campaigns, IReadOnlyList<FindingRecord> Findings)
{
    public long TotalExecutions => Campaigns.Sum(c => c.Executions);

    /// <summary>Executions per second since each running campaign started (the figure shown before the page has polled twice).</summary>
    public double AverageRate => Campaigns.Where(c => c.State == "running" && c.Started is { } s && Time > s)
        .Sum(c => c.Executions / (Time - c.Started!.Value).TotalSeconds);

    /// <summary>Newest first: what an operator looks for.</summary>
    public IEnumerable<FindingRecord> FindingsNewestFirst =>
        Findings.OrderByDescending(f => f.FirstSeen).ThenBy(f => f.SignatureKey, StringComparer.Ordinal);

    /// <summary>Gathers campaigns (from the directory, each asked in parallel) and findings.</summary>
    public static async Task<DashboardSnapshot> Load(IGrainFactory grains, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var findings = grains.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings();
        var names = await grains.GetGrain<ICampaignDirectoryGrain>(FarmKeys.Directory).Names();
        var campaigns = await Task.WhenAll(names.Select(n => grains.GetGrain<ICampaignGrain>(n).Status()));
        return new DashboardSnapshot(time.GetUtcNow(), campaigns, await findings);
    }

    public StatusDocument ToDocument() => new(
        Time,
        [.. Campaigns.Select(c => new CampaignDocument(
            c.Name, c.State, c.Started, c.Executions, c.Findings,
            new MachinesDocument(c.Machines.Count(m => m.Running), c.Machines.Count),
            c.Machines.Sum(m => (long)m.Corpus), c.Machines.Sum(m => (long)m.Features)))],
        TotalExecutions,
        new FindingsDocument(
            Findings.Count,
            Findings.Sum(f => f.Hits),
            Count(Findings.GroupBy(f => f.Invariant)),
            new SortedDictionary<string, int>(Findings.SelectMany(f => f.Variants.Count > 0 ? f.Variants : [f.Variant])
                .GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
            Findings.Count == 0 ? null : Findings.Max(f => f.LastSeen)));

    private static SortedDictionary<string, int> Count(IEnumerable<IGrouping<string, FindingRecord>> groups) =>
        new(groups.ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal);
}

/// <summary><c>/api/status</c>: the campaigns and a findings summary (the dashboard's live figures poll it).</summary>
internal sealed record StatusDocument(
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("campaigns")] IReadOnlyList<CampaignDocument> Campaigns,
    [property: JsonPropertyName("total_executions")] long TotalExecutions,
    [property: JsonPropertyName("findings")] FindingsDocument Findings);

internal sealed record CampaignDocument(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("started")] DateTimeOffset? Started,
    [property: JsonPropertyName("executions")] long Executions,
    [property: JsonPropertyName("findings")] int Findings,
    [property: JsonPropertyName("machines")] MachinesDocument Machines,
    [property: JsonPropertyName("corpus")] long Corpus,
    [property: JsonPropertyName("features")] long Features);

internal sealed record MachinesDocument(
    [property: JsonPropertyName("running")] int Running,
    [property: JsonPropertyName("total")] int Total);

internal sealed record FindingsDocument(
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("hits")] long Hits,
    [property: JsonPropertyName("by_invariant")] IReadOnlyDictionary<string, int> ByInvariant,
    [property: JsonPropertyName("by_variant")] IReadOnlyDictionary<string, int> ByVariant,
    [property: JsonPropertyName("last_seen")] DateTimeOffset? LastSeen);
