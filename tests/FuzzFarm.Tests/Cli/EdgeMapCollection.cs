namespace FuzzFarm.Tests.Cli;

/// <summary>
/// Tests that run commands in process with SharpFuzz edges (fuzz, bench --bugs). The edge map is process-global: one
/// command holds it at a time and a second one in parallel runs without edges, so these run one after another.
/// </summary>
[CollectionDefinition(nameof(EdgeMapCollection))]
public sealed class EdgeMapCollection;
