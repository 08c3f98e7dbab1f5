using FuzzFarm.Cli.Commands;
using FuzzFarm.Farm;

namespace FuzzFarm.Tests.Farm;

/// <summary>The parts of farm-bench's scaling figure and the even placement that need no cluster.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FarmBenchPartsTests
{
    [Theory]
    [InlineData(1, "1")]
    [InlineData(2, "1,2")]
    [InlineData(6, "1,2,4,6")]
    [InlineData(16, "1,2,4,8,16")]
    public void SiloCounts_DoubleUpToTheCoreCount(int cores, string expected) =>
        Assert.Equal(expected, string.Join(",", FarmBenchCommand.SiloCounts(cores)));

    [Fact]
    public void SelfStart_UnderTheMuxer_RunsTheDllWithIt()
    {
        var info = FarmBenchCommand.SelfStart("/usr/share/dotnet/dotnet", "/opt/ff/");
        Assert.Equal("/usr/share/dotnet/dotnet", info.FileName);
        Assert.Equal(["/opt/ff/fuzzfarm.dll"], info.ArgumentList);
    }

    [Fact]
    public void SelfStart_AsAnInstalledTool_RunsItsOwnExecutable()
    {
        // A dotnet tool's shim or a self-contained publish: the process is the program, no dotnet on PATH needed.
        var info = FarmBenchCommand.SelfStart("/home/u/.dotnet/tools/fuzzfarm", "/home/u/.dotnet/tools/.store/fuzzfarm/x/");
        Assert.Equal("/home/u/.dotnet/tools/fuzzfarm", info.FileName);
        Assert.Empty(info.ArgumentList);
    }

    [Fact]
    public void Median_OfOddAndEvenCounts()
    {
        Assert.Equal(2.0, FarmBenchCommand.Median([3.0, 1.0, 2.0]));
        Assert.Equal(2.5, FarmBenchCommand.Median([4.0, 1.0, 2.0, 3.0]));
    }

    [Fact]
    public void EvenPlacement_SplitsEightGrainsFourFourOverTwoSilos_AndThreeThreeTwoOverThree()
    {
        foreach (var (silos, expected) in new[] { (2, "4,4"), (3, "3,3,2") })
        {
            var names = Enumerable.Range(0, silos).Select(i => $"s{i}").ToArray();
            var counts = Enumerable.Range(0, 8).Select(n => EvenPlacementDirector.Pick(names, n)).GroupBy(s => s).Select(g => g.Count());
            Assert.Equal(expected, string.Join(",", counts));
        }
    }
}
