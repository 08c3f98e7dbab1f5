using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace FuzzFarm.Farm;

/// <summary>
/// Machine grains go round-robin over the compatible silos, in address order: a campaign's grains are activated by
/// its own pings, one after another, so n grains over s silos split as evenly as n/s allows (hash placement split 8
/// grains 5/3). A grain whose silo died is placed again the same way over the silos that are left.
/// </summary>
[GenerateSerializer, Immutable, Alias("fuzzfarm.EvenPlacement")]
public sealed class EvenPlacement : PlacementStrategy
{
    internal static readonly EvenPlacement Singleton = new();
}

/// <summary>Places the grain class with <see cref="EvenPlacement"/> (see there).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class EvenPlacementAttribute : PlacementAttribute
{
    public EvenPlacementAttribute()
        : base(EvenPlacement.Singleton)
    {
    }
}

/// <summary>The director of <see cref="EvenPlacement"/>: one counter per silo (placement runs on the caller's silo).</summary>
public sealed class EvenPlacementDirector : IPlacementDirector
{
    private long _next = -1;

    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var silos = context.GetCompatibleSilos(target);
        if (silos.Length == 0) throw new OrleansException($"no silo can host {target.GrainIdentity}");
        var ordered = silos.OrderBy(s => s.Endpoint.ToString(), StringComparer.Ordinal).ThenBy(s => s.Generation).ToArray();
        return Task.FromResult(Pick(ordered, Interlocked.Increment(ref _next)));
    }

    /// <summary>The n-th placement's silo (0-based) among <paramref name="ordered"/>.</summary>
    internal static T Pick<T>(IReadOnlyList<T> ordered, long n) => ordered[(int)(n % ordered.Count)];
}
