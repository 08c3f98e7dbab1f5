using FuzzFarm.Model;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace FuzzFarm.Farm;

/// <summary>Variants by id (the host registers the catalog; the farm knows only the Model's interface).</summary>
public interface IVariantResolver
{
    bool TryGet(string id, out SplitVariant variant);

    IReadOnlyList<SplitVariant> All { get; }

    /// <summary>
    /// Compiles a version given as C text (the host binds the kernel-C front end); throws
    /// <see cref="ArgumentException"/> with the front end's one-line message when the text does not compile.
    /// </summary>
    SplitVariant Compile(VersionText text);
}

/// <summary>Where acknowledged findings also go as files (local mode: <c>.trace</c> + <c>.json</c> per signature).</summary>
public interface IFindingSink
{
    /// <summary>Writes (or rewrites) the files of one record.</summary>
    Task Write(FindingRecord record);

    /// <summary>
    /// Writes the files of every record whose files are missing, empty or hold another reproducer (a crash between
    /// the ledger's write and the files', or a failed write); returns how many it wrote.
    /// </summary>
    Task<int> WriteMissing(IEnumerable<FindingRecord> records);
}

/// <summary>The default: nothing besides grain storage.</summary>
public sealed class NoFindingSink : IFindingSink
{
    public Task Write(FindingRecord record) => Task.CompletedTask;

    public Task<int> WriteMissing(IEnumerable<FindingRecord> records) => Task.FromResult(0);
}

/// <summary>
/// Told about every report a machine grain has made durable (in its outbox, before sending): the record of what
/// was reported, against which the kill/restart test checks that nothing reported is lost.
/// </summary>
public interface IReportJournal
{
    void Reported(FindingReport report);
}

/// <summary>The default: no journal.</summary>
public sealed class NoReportJournal : IReportJournal
{
    public void Reported(FindingReport report)
    {
    }
}

/// <summary>Farm settings the grains read (the host binds them from its options).</summary>
public sealed class FarmOptions
{
    /// <summary>CPU time one machine-grain slice may take before it yields.</summary>
    public TimeSpan SliceBudget { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Pause between slices (calls to the grain and other grains run between two slices anyway).</summary>
    public TimeSpan SlicePeriod { get; set; } = TimeSpan.FromTicks(1);

    /// <summary>How often new corpus entries are offered to peers.</summary>
    public TimeSpan ExchangePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most inputs one exchange offers.</summary>
    public int ExchangeBatch { get; set; } = 16;

    /// <summary>How long the report gateway gathers reports before one call to the aggregator.</summary>
    public TimeSpan GatewayWindow { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Whether grains resume their jobs when activated (a campaign pinging its machines, a machine continuing its
    /// fuzzing). False for <c>fuzzfarm serve</c>: the data is shown as it was left, nothing runs; reports still in a
    /// machine's outbox are delivered (a finding reported is a finding kept).
    /// </summary>
    public bool Resume { get; set; } = true;
}

/// <summary>
/// CPU slots for machine-grain slices, one per core this process may use. Without it every grain's timer keeps a
/// work item queued on the thread pool, and Orleans messages, the HTTP listener (/metrics, the dashboard) and report
/// delivery wait behind dozens of 50 ms slices: a scrape took over 5 s with 48 grains on 2 cores. Grains waiting for
/// a slot hold no thread, so the queue stays short and everything else gets a thread within a slice or two.
/// </summary>
internal static class SliceGate
{
    public static readonly SemaphoreSlim Cores = new(Math.Max(1, Environment.ProcessorCount));
}

/// <summary>
/// The reporting path's resilience (Polly 8): a timeout per attempt, retries with exponential backoff and
/// jitter, and a circuit breaker so a machine grain stops hammering an aggregator that is down; what fails stays
/// in the grain's outbox for the next slice.
/// </summary>
public static class ReportingResilience
{
    public static ResiliencePipeline Create(TimeProvider? time = null) => new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException || e is TimeoutRejectedException),
        })
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = 4,
            SamplingDuration = TimeSpan.FromSeconds(10),
            BreakDuration = TimeSpan.FromSeconds(2),
        })
        .AddTimeout(TimeSpan.FromSeconds(5))
        .Build();
}
