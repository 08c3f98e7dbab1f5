using System.Diagnostics;
using FuzzFarm.AflTarget;
using FuzzFarm.Cli.Commands;
using FuzzFarm.KernelC;
using FuzzFarm.Language;

namespace FuzzFarm.Tests.Cli;

/// <summary>
/// The AFL++ target's FUZZFARM_VERSION_FILE: a C text or patch compiled on FUZZFARM_VARIANT; bad input names the
/// variable; a planted bug's witness, encoded as AFL input bytes, crashes the target (--replay exits 1) on the planted
/// version and not on its base (exit 0).
/// </summary>
public sealed class AflTargetVersionFileTests() : CliTestBase("afl-target")
{
    private static BenchBug MissingUnlock => BenchBugs.Planted().Single(b => b.Id == "missing-unlock");

    [Fact]
    public void Settings_VersionFile_CompilesThePatchOnTheVariant()
    {
        var patch = Write("missing-unlock.patch", MissingUnlock.Patch!);
        var settings = TargetSettings.FromEnvironment(Env(("FUZZFARM_VARIANT", "realm-v2-trylock-held"), ("FUZZFARM_VERSION_FILE", patch)));
        Assert.IsType<CVariant>(settings.Variant);
        Assert.Equal("realm-v2-trylock-held", settings.Variant.Parent);
        Assert.Equal(patch, settings.VersionFile);
        Assert.Contains($"version-file={patch} on realm-v2-trylock-held", settings.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_VersionFile_BadInputNamesTheVariable()
    {
        var missing = Path.Combine(Dir, "nope.c");
        var e = Assert.Throws<SettingsException>(() => TargetSettings.FromEnvironment(Env(("FUZZFARM_VERSION_FILE", missing))));
        Assert.StartsWith($"FUZZFARM_VERSION_FILE: cannot read {missing}", e.Message, StringComparison.Ordinal);

        var bad = Write("bad.c", "int split_kernel_leaf_mapping(unsigned long start, unsigned long end)\n{\n\treturn (\n}\n");
        e = Assert.Throws<SettingsException>(() => TargetSettings.FromEnvironment(Env(("FUZZFARM_VERSION_FILE", bad))));
        Assert.StartsWith($"FUZZFARM_VERSION_FILE (on realm-v2): {bad}:", e.Message, StringComparison.Ordinal);

        // The patch is against realm-v2-trylock-held's text: on the default base it does not apply.
        var patch = Write("missing-unlock.patch", MissingUnlock.Patch!);
        e = Assert.Throws<SettingsException>(() => TargetSettings.FromEnvironment(Env(("FUZZFARM_VERSION_FILE", patch))));
        Assert.Contains("does not apply to c/realm-v2.c", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("FUZZFARM_VERSION_FILE (on realm-v2): ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_PlantedWitness_CrashesOnThePlantedVersionOnly()
    {
        var bug = MissingUnlock;
        var input = Path.Combine(Dir, "witness.bin");
        File.WriteAllBytes(input, BinaryEncoder.Encode(bug.Witness));
        var patch = Write("missing-unlock.patch", bug.Patch!);
        (string, string)[] common =
        [
            ("FUZZFARM_VARIANT", bug.Base.Id), ("FUZZFARM_MACHINE", TraceWriter.FormatMachine(bug.Machine)), ("FUZZFARM_ENV", "adversarial"),
            ("FUZZFARM_INVARIANT", "lock-order"), ("FUZZFARM_DETAIL", bug.Detail!),
        ];
        var (planted, plantedOut) = Replay(input, [.. common, ("FUZZFARM_VERSION_FILE", patch)]);
        Assert.True(planted == 1, plantedOut);
        Assert.Contains("result: crash: lock-order", plantedOut, StringComparison.Ordinal);
        var (unmutated, baseOut) = Replay(input, [.. common, ("FUZZFARM_VERSION_FILE", "")]);
        Assert.True(unmutated == 0, baseOut);
        Assert.Contains("result: no crash", baseOut, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    /// <summary>Runs the built target's --replay as afl.sh does (dotnet FuzzFarm.AflTarget.dll), with the settings in its environment.</summary>
    private static (int Code, string Output) Replay(string input, (string Name, string Value)[] vars)
    {
        var dll = typeof(TargetSettings).Assembly.Location;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--replay");
        info.ArgumentList.Add(input);
        foreach (var (name, value) in vars) info.Environment[name] = value;
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.True(p.WaitForExit(60_000), "the target did not exit within 60 s");
        return (p.ExitCode, output.Result + error.Result);
    }
}
