using System.CommandLine;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary><c>fuzzfarm variants</c>: one line per version: id, letter, provenance, summary.</summary>
internal static class VariantsCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("variants", "List the versions of split_kernel_leaf_mapping() the farm knows");
        command.SetAction(_ =>
        {
            foreach (var v in VariantCatalog.All)
            {
                var letter = v.Letter.Length == 0 ? "-" : v.Letter;
                stdout.WriteLine($"{v.Id,-22} {letter,-2}  {v.Provenance}");
                stdout.WriteLine($"{"",-22}     {v.Summary}");
            }

            return ExitCodes.Clean;
        });
        return command;
    }
}
