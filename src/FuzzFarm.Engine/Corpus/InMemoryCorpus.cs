using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>A program kept because it added coverage, with its literal bytes for byte-level mutation.</summary>
public sealed class CorpusEntry
{
    public CorpusEntry(MachineEvent[] events, long foundAtExecution, int newCoverage)
    {
        ArgumentNullException.ThrowIfNull(events);
        Events = events;
        FoundAtExecution = foundAtExecution;
        NewCoverage = newCoverage;
    }

    public MachineEvent[] Events { get; }

    /// <summary>The execution count when it was found.</summary>
    public long FoundAtExecution { get; }

    /// <summary>Coverage it added when it was found.</summary>
    public int NewCoverage { get; }

    /// <summary>How often the scheduler picked it.</summary>
    public int Picked { get; set; }
}

/// <summary>The corpus, in memory, in the order entries were found.</summary>
public sealed class InMemoryCorpus : ICorpus
{
    private readonly List<CorpusEntry> _entries = [];

    public int Count => _entries.Count;

    public CorpusEntry this[int index] => _entries[index];

    public int Add(CorpusEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _entries.Add(entry);
        return _entries.Count - 1;
    }
}
