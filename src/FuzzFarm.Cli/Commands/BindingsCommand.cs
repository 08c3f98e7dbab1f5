using System.CommandLine;
using FuzzFarm.KernelC;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm bindings</c>: the kernel names a C text given to <c>check</c> may use, and what each is in the model
/// (Markdown; the README's table is this output, a test keeps them equal).
/// </summary>
internal static class BindingsCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("bindings", "The kernel names fuzzfarm check binds to the model (Markdown)");
        command.SetAction(_ =>
        {
            Write(stdout);
            return ExitCodes.Clean;
        });
        return command;
    }

    internal static void Write(TextWriter o)
    {
        o.WriteLine("| name | kind | in the model |");
        o.WriteLine("|---|---|---|");
        foreach (var (name, arity, meaning) in KernelBindings.Describe().OrderBy(b => b.Name, StringComparer.Ordinal))
        {
            var kind = arity < 0 ? "value" : arity == 0 ? $"`{name}()`" : $"`{name}()`, {arity} arg{(arity == 1 ? "" : "s")}";
            o.WriteLine($"| `{name}` | {kind} | {meaning.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        o.WriteLine();
        o.WriteLine("Functions your text may define (run from your text; the base version's or the model's default otherwise): " +
            string.Join(", ", KernelBindings.DefinedNames.Select(n => $"`{n}()`")) + "; any other function it defines (a static helper " +
            "such as `split_leaf_mapping_possible()`) is called as written.");
        o.WriteLine();
        o.WriteLine("Functions the model implements itself (a definition in your text is reported, \"not modelled from your text\"): " +
            string.Join(", ", KernelBindings.ModelOwnNames.Select(n => $"`{n}()`")) + ".");
        o.WriteLine();
        o.WriteLine("Configuration symbols for `IS_ENABLED()` and `#ifdef` inside a function, read from the machine: " +
            string.Join(", ", KernelBindings.ConfigNames.Select(n => $"`{n}`")) + ".");
    }
}
