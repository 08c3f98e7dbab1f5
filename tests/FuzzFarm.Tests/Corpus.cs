using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests;

/// <summary>The shipped traces under tests/corpus (copied next to the test assembly).</summary>
internal static class Corpus
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "corpus");

    public static string PathOf(string name) => Path.Combine(Dir, name + ".trace");

    public static EventProgram Load(string name) => TraceParser.Parse(File.ReadAllText(PathOf(name)), PathOf(name));

    /// <summary>The violations a variant reports for a program in the program's environment (adversarial by default).</summary>
    public static Violation[] Reported(EventProgram program, SplitVariant variant)
    {
        var machine = new Machine(program.Machine, variant);
        machine.Run(program.Events.AsSpan());
        var env = program.Env ?? EnvMode.Adversarial;
        return machine.Violations.ToArray().Where(v => v.ReportedIn(env)).ToArray();
    }

    /// <summary>The repository root (where FuzzFarm.sln is), found from the test assembly's folder.</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FuzzFarm.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("FuzzFarm.sln not found above the test folder");
        }
    }
}
