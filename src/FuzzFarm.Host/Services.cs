using FuzzFarm.Farm;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Host;

/// <summary>The shipped variant catalog, for the farm.</summary>
public sealed class CatalogVariantResolver : IVariantResolver
{
    public IReadOnlyList<SplitVariant> All => VariantCatalog.All;

    public bool TryGet(string id, out SplitVariant variant) => VariantCatalog.TryGet(id, out variant);

    public SplitVariant Compile(VersionText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Text.Length > VersionText.MaxBytes) throw new ArgumentException($"{text.Name}: {text.Text.Length:N0} characters; a version text is at most {VersionText.MaxBytes:N0}");
        SplitVariant? fallback = null;
        if (text.Base is { } b && !VariantCatalog.TryGet(b, out fallback)) throw new ArgumentException($"{text.Name}: unknown base version '{b}'");
        if (VariantCatalog.TryGet(text.Id, out _)) throw new ArgumentException($"{text.Name}: '{text.Id}' is a shipped version's id; give the text another");
        try
        {
            return FuzzFarm.KernelC.CVariant.Compile(text.Name, text.Text, text.Id, fallback);
        }
        catch (FuzzFarm.KernelC.KernelCException e)
        {
            // The message only: the front end's exception type does not cross a grain call.
            throw new ArgumentException(e.Message);
        }
    }
}

/// <summary>Appends one line per durable report (machine, sequence, signature) to a file: the kill test's record.</summary>
public sealed class FileReportJournal(string path) : IReportJournal
{
    private readonly Lock _gate = new();

    public void Reported(FindingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate) File.AppendAllText(path, $"{report.MachineKey}\t{report.Sequence}\t{report.SignatureKey}\n");
    }
}
