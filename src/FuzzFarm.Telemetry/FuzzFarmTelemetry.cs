using System.Diagnostics;

namespace FuzzFarm.Telemetry;

/// <summary>
/// The one place that names FuzzFarm's telemetry: the meter, the activity source, every instrument, activity and
/// tag. Exported names follow from these (OpenTelemetry's Prometheus exporter turns <c>fuzzfarm.executions</c>, a
/// counter, into <c>fuzzfarm_executions_total</c>); dashboards and tests use the exported forms in
/// <see cref="Prometheus"/>.
/// </summary>
public static class FuzzFarmTelemetry
{
    /// <summary>The meter every FuzzFarm instrument belongs to.</summary>
    public const string MeterName = "FuzzFarm";

    /// <summary>The activity source of campaign, finding, minimization and aggregation spans.</summary>
    public const string ActivitySourceName = "FuzzFarm";

    public const string Version = "1.0";

    /// <summary>Orleans' own meter (messaging, grains, membership), exported next to ours.</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>Orleans' grain-call spans (activity propagation carries our trace context across silos).</summary>
    public const string OrleansActivitySourceName = "Microsoft.Orleans.Application";

    /// <summary>The source of FuzzFarm spans (a no-op until something listens).</summary>
    public static readonly ActivitySource Source = new(ActivitySourceName, Version);

    /// <summary>Instrument names as registered on the meter.</summary>
    public static class Instruments
    {
        public const string Executions = "fuzzfarm.executions";
        public const string ExecutionsPerSecond = "fuzzfarm.executions_per_second";
        public const string CoverageEdges = "fuzzfarm.coverage.edges";
        public const string CoverageFeatures = "fuzzfarm.coverage.features";
        public const string CorpusSize = "fuzzfarm.corpus.size";
        public const string Findings = "fuzzfarm.findings";
        public const string Signatures = "fuzzfarm.signatures";
        public const string FindingHits = "fuzzfarm.finding_hits";
        public const string DuplicatesDropped = "fuzzfarm.duplicates_dropped";
        public const string ReplayGateDrops = "fuzzfarm.replay_gate_drops";
        public const string MinimizationDuration = "fuzzfarm.minimization.duration";
        public const string OutboxDepth = "fuzzfarm.outbox.depth";
        public const string OutboxRetries = "fuzzfarm.outbox.retries";
        public const string ReportsIngested = "fuzzfarm.reports_ingested";
        public const string ActiveMachineGrains = "fuzzfarm.machine_grains.active";
        public const string LastNewRootCause = "fuzzfarm.last_new_root_cause_time";
        public const string FragmentationTablePages = "fuzzfarm.fragmentation.table_pages";
        public const string FragmentationBlockBytesLost = "fuzzfarm.fragmentation.block_lost";
    }

    /// <summary>The names Prometheus sees (what dashboards query).</summary>
    public static class Prometheus
    {
        public const string Executions = "fuzzfarm_executions_total";
        public const string ExecutionsPerSecond = "fuzzfarm_executions_per_second";
        public const string CoverageEdges = "fuzzfarm_coverage_edges";
        public const string CoverageFeatures = "fuzzfarm_coverage_features";
        public const string CorpusSize = "fuzzfarm_corpus_size";
        public const string Findings = "fuzzfarm_findings_total";
        public const string Signatures = "fuzzfarm_signatures";
        public const string FindingHits = "fuzzfarm_finding_hits_total";
        public const string DuplicatesDropped = "fuzzfarm_duplicates_dropped_total";
        public const string ReplayGateDrops = "fuzzfarm_replay_gate_drops_total";
        public const string MinimizationDuration = "fuzzfarm_minimization_duration_seconds";
        public const string OutboxDepth = "fuzzfarm_outbox_depth";
        public const string OutboxRetries = "fuzzfarm_outbox_retries_total";
        public const string ReportsIngested = "fuzzfarm_reports_ingested_total";
        public const string ActiveMachineGrains = "fuzzfarm_machine_grains_active";
        public const string LastNewRootCause = "fuzzfarm_last_new_root_cause_time_seconds";
        public const string FragmentationTablePages = "fuzzfarm_fragmentation_table_pages_total";
        public const string FragmentationBlockBytesLost = "fuzzfarm_fragmentation_block_lost_bytes_total";
    }

    /// <summary>Span names.</summary>
    public static class Activities
    {
        public const string CampaignStart = "fuzzfarm.campaign.start";
        public const string CampaignStop = "fuzzfarm.campaign.stop";
        public const string Finding = "fuzzfarm.finding";
        public const string Minimize = "fuzzfarm.minimize";
        public const string Aggregate = "fuzzfarm.aggregate";
    }

    /// <summary>Tag (label) names.</summary>
    public static class Tags
    {
        public const string Campaign = "campaign";
        public const string Machine = "machine";
        public const string Variant = "variant";
        public const string Env = "env";
        public const string Invariant = "invariant";
        public const string Title = "title";
        public const string Signature = "signature";
        public const string Stage = "stage";
        public const string Outcome = "outcome";
        public const string Silo = "silo";
        public const string Events = "events";
        public const string Machines = "machines";
        public const string State = "state";
    }
}
