using FuzzFarm.Cli.Commands;
using FuzzFarm.Farm;
using Spectre.Console;

namespace FuzzFarm.Tests.Cli;

/// <summary>The run's terminal screen and plain line: figures from the campaign status, times since the last news.</summary>
public sealed class RunScreenTests
{
    private static CampaignStatus Status(long execs, int features, int findings) => new()
    {
        Name = "default", State = "running", Executions = execs, Findings = findings,
        Machines = [new MachineStatus { Key = "default/realm-v2/strict/0-1", Running = true, Executions = execs, Features = features, Corpus = 7, Outbox = 2 }],
    };

    [Fact]
    public void TheLine_SaysNoneYet_UntilCoverageAndRootCausesGrow_ThenHowLongAgo()
    {
        var screen = new RunScreen("default", 5);
        screen.Update(Status(0, 0, 0));
        Assert.Contains("new cov none yet, new root cause none yet", screen.Line(), StringComparison.Ordinal);
        screen.Update(Status(1000, 40, 1));
        var line = screen.Line();
        Assert.Matches(@"new cov \d+ s ago, new root cause \d+ s ago", line);
        Assert.Contains("execs        1,000", line, StringComparison.Ordinal);
        Assert.Contains("root causes   1", line, StringComparison.Ordinal);
        Assert.Contains("machines 1/1  outbox 2", line, StringComparison.Ordinal);
        Assert.Matches(@"rss \d+ MB$", line);
    }

    [Fact]
    public void TheScreen_HasAflStylePanels_AndFitsEightyColumns()
    {
        var screen = new RunScreen("default", 5);
        screen.Update(Status(5000, 40, 3));
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 80;
        console.Write(screen.Screen());
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var panel in new[] { "process timing", "overall results", "coverage", "farm" }) Assert.Contains(lines, l => l.Contains(panel, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("new root cause", StringComparison.Ordinal) && l.Contains("s ago", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("root causes", StringComparison.Ordinal) && l.TrimEnd(' ', '│').EndsWith('3'));
        Assert.All(lines, l => Assert.True(l.TrimEnd('\r').Length <= 80, $"{l.Length} columns: {l}"));
    }

    private static MachineStatus Grain(string key, long execs, string silo = "S127.0.0.1:11111:1") =>
        new() { Key = key, Running = true, Executions = execs, SessionExecutions = execs, Events = execs * 12, SkippedEvents = execs * 3, Silo = silo };

    [Fact]
    public void TheRate_CountsOnlyGrainsThatAnswered_AndAGrainAnsweringAgainIsNoJump()
    {
        var screen = new RunScreen("default", 5);
        CampaignStatus Poll(params MachineStatus[] m) => new() { Name = "default", State = "running", Executions = m.Sum(x => x.Executions), Machines = m };
        screen.Update(Poll(Grain("a", 0), Grain("b", 0)));
        Thread.Sleep(200);
        // b's silo is busy: it reads as unreachable with 0 executions; only a's progress counts.
        screen.Update(Poll(Grain("a", 1000), new MachineStatus { Key = "b", Silo = "unreachable" }));
        var first = Rate(screen.Line());
        Assert.InRange(first, 1, 1000 / 0.2);
        Thread.Sleep(200);
        // b answers again with everything it ran meanwhile: its rate spans both polls, not one.
        screen.Update(Poll(Grain("a", 2000), Grain("b", 2000)));
        var second = Rate(screen.Line());
        Assert.InRange(second, 1, (1000 / 0.2) + (2000 / 0.4));
    }

    [Fact]
    public void TheLine_GivesTheMeanProgramLength_AndTheSkippedShare()
    {
        var screen = new RunScreen("default", 5);
        screen.Update(new CampaignStatus { Name = "default", State = "running", Executions = 100, Machines = [Grain("a", 100)] });
        Assert.Contains("program 12.0 events, 25% skipped", screen.Line(), StringComparison.Ordinal);
    }

    private static double Rate(string line) =>
        double.Parse(System.Text.RegularExpressions.Regex.Match(line, @"([\d,]+)/s").Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
}
