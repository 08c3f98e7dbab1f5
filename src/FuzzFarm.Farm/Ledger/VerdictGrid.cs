namespace FuzzFarm.Farm;

/// <summary>
/// The campaign's verdict table from the ledger: root causes (rows) × versions (columns), one place for the CLI's
/// summary and the dashboard. A cell is "✘ strict" or "✘ adv" where the version showed the root cause (the fewest
/// assumptions it was seen with there decides), else "– N": the campaign ran N executions on that version and none
/// showed it. Rows are grouped: hazards reached by the kernel's own callers, hazards that need an assumption,
/// expected refusals, and what shows only on the canary.
/// </summary>
public static class VerdictGrid
{
    /// <summary>0 strict hazard, 1 adversarial hazard, 2 expected refusal, 3 canary only.</summary>
    public static int Kind(FindingRecord f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.Invariant == "split-warn" ? 2
            : (f.Reproduces.Count > 0 ? f.Reproduces : f.Variants) is ["canary"] ? 3
            : FindingsLedger.AssumptionCount(f.Assumptions) == 0 ? 0 : 1;
    }

    public static string KindTitle(int kind) => kind switch
    {
        0 => "hazards reached by the kernel's own callers (strict)",
        1 => "hazards that need an environment assumption (adversarial)",
        2 => "expected refusals (blackout -EBUSY with its WARN)",
        _ => "the canary only (a deliberately broken copy of realm-v2)",
    };

    /// <summary>The weakest assumptions <paramref name="f"/> showed with on <paramref name="version"/>, or null when it did not show there.</summary>
    public static string? Shown(FindingRecord f, string version)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.VersionAssumptions.TryGetValue(version, out var a) ? a : f.Reproduces.Contains(version) ? f.Assumptions : null;
    }

    /// <summary>A cell in a few characters ("·": the campaign did not run that version).</summary>
    public static string Cell(FindingRecord f, string version, long executionsOnVersion) =>
        Shown(f, version) is { } a ? (FindingsLedger.AssumptionCount(a) == 0 ? "✘ strict" : "✘ adv")
        : executionsOnVersion > 0 ? $"– {FuzzFarm.Engine.VerdictCell.Count(executionsOnVersion)}" : "·";

    /// <summary>Executions per version, from the machine grains' keys (campaign/variant/env/…).</summary>
    public static Dictionary<string, long> ExecutionsByVersion(IEnumerable<MachineStatus> machines)
    {
        ArgumentNullException.ThrowIfNull(machines);
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var m in machines)
        {
            if (m.Key.Split('/') is [_, var v, ..]) d[v] = d.GetValueOrDefault(v) + m.Executions;
        }

        return d;
    }

    /// <summary>Live guard reads per version, summed over the machine grains' statuses (keys campaign/variant/env/…).</summary>
    public static Dictionary<string, FuzzFarm.Model.GuardCoverage> GuardsByVersion(IEnumerable<MachineStatus> machines)
    {
        ArgumentNullException.ThrowIfNull(machines);
        var d = new Dictionary<string, FuzzFarm.Model.GuardCoverage>(StringComparer.Ordinal);
        foreach (var m in machines)
        {
            if (m.Key.Split('/') is not [_, var v, ..] || m.Guards is null) continue;
            if (!d.TryGetValue(v, out var g)) d[v] = g = new FuzzFarm.Model.GuardCoverage();
            g.Add(m.Guards);
        }

        return d;
    }

    /// <summary>A version's fragmentation sums over its machine grains, and the executions they cover.</summary>
    public readonly record struct FragmentationSums(long Executions, long TablePages, long BlockBytesLost, long Leaves);

    /// <summary>Fragmentation sums per version (keys campaign/variant/env/…; grains without executions left out).</summary>
    public static Dictionary<string, FragmentationSums> FragmentationByVersion(IEnumerable<MachineStatus> machines)
    {
        ArgumentNullException.ThrowIfNull(machines);
        var d = new Dictionary<string, FragmentationSums>(StringComparer.Ordinal);
        foreach (var m in machines)
        {
            if (m.Key.Split('/') is not [_, var v, ..] || m.FragmentationExecutions == 0) continue;
            var t = d.GetValueOrDefault(v);
            d[v] = new FragmentationSums(t.Executions + m.FragmentationExecutions, t.TablePages + m.TablePages, t.BlockBytesLost + m.BlockBytesLost, t.Leaves + m.Leaves);
        }

        return d;
    }
}
