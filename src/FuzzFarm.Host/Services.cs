using FuzzFarm.Farm;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Host;

/// <summary>The shipped variant catalog, for the farm.</summary>
public sealed class CatalogVariantResolver : IVariantResolver
{
    public IReadOnlyList<SplitVariant> All => VariantCatalog.All;

    public bool TryGet(string id, out SplitVariant variant) => VariantCatalog.TryGet(id, out variant);
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
