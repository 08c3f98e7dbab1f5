using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Farm;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm run</c>'s progress, from the campaign's status every poll: in a terminal a screen in the manner of
/// AFL++'s (process timing, overall results, coverage, the farm), redrawn in place; else one plain line per poll.
/// "Last new coverage" and "last new root cause" are the time since the features or the root causes last grew.
/// </summary>
internal sealed class RunScreen(string campaign, ulong seed)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private CampaignStatus _status = new();
    private double _lastTime;
    private long _lastExecs;
    private double _rate;
    private long _features;
    private int _rootCauses;
    private double? _lastNewCoverage;
    private double? _lastNewRootCause;

    public double Elapsed => _clock.Elapsed.TotalSeconds;

    public void Update(CampaignStatus status)
    {
        var now = Elapsed;
        var features = status.Machines.Sum(m => (long)m.Features);
        if (features > _features) _lastNewCoverage = now;
        if (status.Findings > _rootCauses) _lastNewRootCause = now;
        if (now > _lastTime) _rate = (status.Executions - _lastExecs) / (now - _lastTime);
        (_status, _lastTime, _lastExecs, _features, _rootCauses) = (status, now, status.Executions, features, status.Findings);
    }

    private static string Ago(double? at, double now) => at is { } t ? Seconds(now - t) + " ago" : "none yet";

    private static string Seconds(double s) => s switch
    {
        >= 3600 => string.Create(CultureInfo.InvariantCulture, $"{(int)(s / 3600)} h {(int)(s % 3600 / 60)} min"),
        >= 60 => string.Create(CultureInfo.InvariantCulture, $"{(int)(s / 60)} min {(int)(s % 60)} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{s:0} s"),
    };

    private static long RssMegabytes()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64 / (1024 * 1024);
    }

    /// <summary>One line for logs and pipes.</summary>
    public string Line()
    {
        var now = Elapsed;
        var s = _status;
        return string.Create(CultureInfo.InvariantCulture,
            $"[{now,6:F0}s] execs {s.Executions,12:N0}  {_rate,9:N0}/s  features {_features,7:N0}  corpus {s.Machines.Sum(m => (long)m.Corpus),6:N0}  " +
            $"root causes {s.Findings,3}  new cov {Ago(_lastNewCoverage, now)}, new root cause {Ago(_lastNewRootCause, now)}  " +
            $"machines {s.Machines.Count(m => m.Running)}/{s.Machines.Count}  outbox {s.Machines.Sum(m => m.Outbox)}  rss {RssMegabytes()} MB");
    }

    /// <summary>The terminal screen.</summary>
    public IRenderable Screen()
    {
        var now = Elapsed;
        var s = _status;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().NoWrap());
        grid.AddRow(Panel("process timing",
                ("run time", Seconds(now)),
                ("new coverage", Ago(_lastNewCoverage, now)),
                ("new root cause", Ago(_lastNewRootCause, now))),
            Panel("overall results",
                ("root causes", s.Findings.ToString(CultureInfo.InvariantCulture)),
                ("executions", s.Executions.ToString("N0", CultureInfo.InvariantCulture)),
                ("exec speed", _rate.ToString("N0", CultureInfo.InvariantCulture) + "/s")));
        grid.AddRow(Panel("coverage",
                ("features", _features.ToString("N0", CultureInfo.InvariantCulture)),
                ("corpus", s.Machines.Sum(m => (long)m.Corpus).ToString("N0", CultureInfo.InvariantCulture)),
                ("imported", s.Machines.Sum(m => (long)m.InputsImported).ToString("N0", CultureInfo.InvariantCulture))),
            Panel("farm",
                ("grains running", $"{s.Machines.Count(m => m.Running)} / {s.Machines.Count}"),
                ("outbox", s.Machines.Sum(m => m.Outbox).ToString(CultureInfo.InvariantCulture)),
                ("rss", RssMegabytes().ToString(CultureInfo.InvariantCulture) + " MB")));
        return new Panel(grid).Header($" fuzzfarm run · campaign {Markup.Escape(campaign)} · seed {seed} · Ctrl-C stops ").Border(BoxBorder.Rounded);
    }

    private static Panel Panel(string title, params (string Key, string Value)[] rows)
    {
        var t = new Grid().AddColumn(new GridColumn().Width(15).NoWrap()).AddColumn(new GridColumn().Width(16).NoWrap().RightAligned());
        foreach (var (k, v) in rows) t.AddRow(new Text(k), new Text(v));
        return new Panel(t).Header(" " + title + " ").Border(BoxBorder.Rounded);
    }
}
