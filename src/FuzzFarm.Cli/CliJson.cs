using System.Text.Json.Serialization;
using FuzzFarm.Farm;

namespace FuzzFarm.Cli;

/// <summary>The command line's JSON documents from farm types: source-generated, snake_case keys, indented.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(CampaignStatus))]
[JsonSerializable(typeof(IReadOnlyList<FindingRecord>))]
internal sealed partial class CliJson : JsonSerializerContext;
