using FuzzFarm.Cli;

namespace FuzzFarm.Tests.Cli;

/// <summary>Runs the fuzzfarm command in process, with a scratch folder removed after each test.</summary>
public abstract class CliTestBase : IDisposable
{
    protected CliTestBase(string name)
    {
        Dir = Path.Combine(Path.GetTempPath(), $"fuzzfarm-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Dir);
    }

    protected string Dir { get; }

    public void Dispose()
    {
        if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
