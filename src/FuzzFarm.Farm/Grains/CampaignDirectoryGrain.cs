namespace FuzzFarm.Farm;

/// <summary>The campaign directory's durable state: names in the order they were first started.</summary>
[GenerateSerializer, Alias("fuzzfarm.CampaignDirectoryState")]
public sealed class CampaignDirectoryState
{
    [Id(0)] public List<string> Names { get; set; } = [];
}

/// <summary>Names of the campaigns started in the cluster, durable (a campaign is listed before its machines start).</summary>
public sealed class CampaignDirectoryGrain(
    [PersistentState("campaigns", FarmKeys.Storage)] IPersistentState<CampaignDirectoryState> state) : Grain, ICampaignDirectoryGrain
{
    public async Task Register(string campaign)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaign);
        if (state.State.Names.Contains(campaign)) return;
        state.State.Names.Add(campaign);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> Names() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Names]);
}
