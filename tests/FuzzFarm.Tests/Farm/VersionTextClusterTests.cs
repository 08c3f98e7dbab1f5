using FuzzFarm.Farm;

namespace FuzzFarm.Tests.Farm;

/// <summary>
/// <c>campaign start --version-file</c>: a version given as C text travels with the campaign and each silo compiles
/// it at grain activation (a cluster of its own: this campaign's findings and metrics stay out of the shared one's).
/// </summary>
public sealed class VersionTextClusterTests(FarmClusterFixture fixture) : IClassFixture<FarmClusterFixture>
{
    [Fact]
    public async Task Campaign_FuzzesAVersionGivenAsCText_CompiledByTheSilos()
    {
        var text = File.ReadAllText(Path.Combine(Corpus.RepoRoot, "src", "FuzzFarm.Variants", "c", "realm-v2-trylock.c"));
        var spec = new CampaignSpec
        {
            Machines = ["cpus=2 bbml2=0 ram=4G"], Variants = ["mine"], Envs = ["adversarial"], Seed = 3, MaxExecutionsPerMachine = 20_000,
            Texts = [new VersionText { Id = "mine", Base = "realm-v2", Name = "realm-v2-trylock.c", Text = text }],
        };
        Assert.Empty(FuzzFarm.Farm.CampaignGrain.Problems(spec));
        var campaign = fixture.Cluster.Client.GetGrain<ICampaignGrain>("ctext");
        var status = await campaign.Start(spec);
        Assert.Single(status.Machines);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (status.State != "finished" && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
            status = await campaign.Status();
        }

        Assert.Equal("finished", status.State);
        Assert.All(status.Machines, m => Assert.True(m.Executions >= 20_000, $"{m.Key}: {m.Executions}"));
        Assert.Contains("/mine/", status.Machines[0].Key, StringComparison.Ordinal);
        // E's text on Z3's machine: the bring-up window (a secondary with its MMU on, not yet online), on "mine".
        var findings = await fixture.Cluster.Client.GetGrain<IAggregatorGrain>(FarmKeys.Aggregator).Findings();
        Assert.Contains(findings, f => f.Variants.Contains("mine") && f.Invariant == "tlb-conflict");

        // A text that does not compile: the silo refuses the campaign with the front end's one line.
        var bad = spec with
        {
            Texts = [new VersionText { Id = "mine", Name = "bad.c", Text = "int split_kernel_leaf_mapping(unsigned long start, unsigned long end)\n{\n\treturn num_onlin_cpus();\n}\n" }],
        };
        var e = await Assert.ThrowsAnyAsync<Exception>(() => fixture.Cluster.Client.GetGrain<ICampaignGrain>("ctext-bad").Start(bad));
        Assert.Contains("bad.c:3:9: unknown name 'num_onlin_cpus'", e.Message, StringComparison.Ordinal);
    }
}
