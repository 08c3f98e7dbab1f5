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
    private readonly Dictionary<string, (long Execs, long Events, double At)> _seen = [];
    private double _rate;
    private double _eventRate;
    private double _meanProgram;
    private double _skippedShare;
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
        (_rate, _eventRate) = Rate(status, now);
        long execs = 0, events = 0, skipped = 0;
        foreach (var m in status.Machines)
        {
            execs += m.SessionExecutions;
            events += m.Events;
            skipped += m.SkippedEvents;
        }

        _meanProgram = execs > 0 ? (double)events / execs : 0;
        _skippedShare = events > 0 ? (double)skipped / events : 0;
        (_status, _features, _rootCauses) = (status, features, status.Findings);
    }

    /// <summary>
    /// Executions (and their events) per second: each machine grain's own counts since the poll it last answered, over
    /// that time. A grain that did not answer (its silo busy or gone) counts neither now nor as a jump when it answers
    /// again. An execution is one program run on one machine; events/s is the figure that compares across program
    /// lengths (the campaign's programs are up to 64 events, the bench's 16).
    /// </summary>
    private (double Execs, double Events) Rate(CampaignStatus status, double now)
    {
        double rate = 0, events = 0;
        foreach (var m in status.Machines)
        {
            if (m.Silo == "unreachable") continue;
            if (_seen.TryGetValue(m.Key, out var prev) && now > prev.At && m.Executions >= prev.Execs && m.Events >= prev.Events)
            {
                rate += (m.Executions - prev.Execs) / (now - prev.At);
                events += (m.Events - prev.Events) / (now - prev.At);
            }

            _seen[m.Key] = (m.Executions, m.Events, now);
        }

        return (rate, events);
    }

    /// <summary>Mean events per program, with the share of events the machine skipped (impossible where they stood).</summary>
    private string Program() => string.Create(CultureInfo.InvariantCulture, $"{_meanProgram:F1} events, {_skippedShare * 100:F0}% skipped");

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
            $"[{now,6:F0}s] execs {s.Executions,12:N0}  {_rate,9:N0}/s ({_eventRate:N0} events/s)  program {Program()}  features {_features,7:N0}  corpus {s.Machines.Sum(m => (long)m.Corpus),6:N0}  " +
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
                ("exec speed", _rate.ToString("N0", CultureInfo.InvariantCulture) + "/s"),
                ("event speed", _eventRate.ToString("N0", CultureInfo.InvariantCulture) + "/s"),
                ("mean program", _meanProgram.ToString("F1", CultureInfo.InvariantCulture) + " events"),
                ("skipped events", (_skippedShare * 100).ToString("F0", CultureInfo.InvariantCulture) + "%")));
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
