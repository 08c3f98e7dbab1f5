using System.Collections.Immutable;
using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>
/// A replayable test case: the machine, optionally the variant and environment it was found under, the campaign
/// seed, and the ordered events. Immutable, with value equality; its text form is written by
/// <see cref="TraceWriter"/> and read by <see cref="TraceParser"/>, and <see cref="BinaryDecoder"/> builds one
/// from fuzzer bytes.
/// </summary>
/// <remarks>
/// The constructor does not validate (so that tools can hold and report broken programs); everything this
/// library produces passes <see cref="Validate"/>, and <see cref="TraceWriter"/> only writes valid programs.
/// </remarks>
public sealed class EventProgram : IEquatable<EventProgram>
{
    /// <summary>The trace format revision this library reads and writes (the <c>fuzzfarm-trace</c> header).</summary>
    public const int CurrentRevision = 3;

    /// <summary>Most events a program may hold.</summary>
    public const int MaxEvents = 4096;

    public EventProgram(
        MachineConfig machine,
        ImmutableArray<MachineEvent> events,
        string? variant = null,
        EnvMode? env = null,
        ulong? seed = null,
        int formatRevision = CurrentRevision)
    {
        ArgumentNullException.ThrowIfNull(machine);
        Machine = machine;
        Events = events.IsDefault ? [] : events;
        Variant = variant;
        Env = env;
        Seed = seed;
        FormatRevision = formatRevision;
    }

    public EventProgram(MachineConfig machine, IEnumerable<MachineEvent> events)
        : this(machine, events?.ToImmutableArray() ?? [])
    {
    }

    public MachineConfig Machine { get; }

    /// <summary>The variant id the program targets (not checked against a catalog), or null for "any".</summary>
    public string? Variant { get; }

    /// <summary>The environment assumption, or null when the program does not say.</summary>
    public EnvMode? Env { get; }

    /// <summary>The campaign seed the program came from, if any (informational for replay).</summary>
    public ulong? Seed { get; }

    public int FormatRevision { get; }

    /// <summary>What the kernel would have warned about while reading the machine line (FILE:LINE: warning: …).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public ImmutableArray<MachineEvent> Events { get; }

    public EventProgram WithEvents(ImmutableArray<MachineEvent> events) =>
        new(Machine, events, Variant, Env, Seed, FormatRevision);

    public EventProgram WithEvents(IEnumerable<MachineEvent> events) =>
        WithEvents(events?.ToImmutableArray() ?? []);

    public EventProgram WithMachine(MachineConfig machine) =>
        new(machine, Events, Variant, Env, Seed, FormatRevision);

    /// <summary>
    /// Checks the static rules (see README.md). Returns null when valid, else <c>"event N: problem"</c> with the
    /// zero-based event index, or <c>"program: problem"</c> for a header field.
    /// </summary>
    public string? Validate()
    {
        if (FormatRevision < 1 || FormatRevision > CurrentRevision)
            return $"program: format revision {FormatRevision} is not supported (this library reads revisions 1..{CurrentRevision})";
        if (Variant is not null && !TraceNames.IsVariantId(Variant))
            return $"program: variant '{Variant}' is not an id of the form [a-z0-9][a-z0-9-']*";
        if (Env is { } env && env is not (EnvMode.Strict or EnvMode.Adversarial))
            return $"program: unknown env {(int)env}";
        var validator = new EventValidator(Machine);
        for (var i = 0; i < Events.Length; i++)
        {
            var problem = validator.Accept(Events[i]);
            if (problem is not null) return $"event {i}: {problem}";
        }

        return null;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> when <see cref="Validate"/> finds a problem.</summary>
    public void DebugValidate()
    {
        var problem = Validate();
        if (problem is not null) throw new InvalidOperationException($"invalid event program: {problem}");
    }

    public bool Equals(EventProgram? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Machine.Equals(other.Machine) && Variant == other.Variant && Env == other.Env && Seed == other.Seed
                && FormatRevision == other.FormatRevision && Events.AsSpan().SequenceEqual(other.Events.AsSpan())));

    public override bool Equals(object? obj) => Equals(obj as EventProgram);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Machine);
        hash.Add(Variant);
        hash.Add(Env);
        hash.Add(Seed);
        hash.Add(Events.Length);
        // A prefix is enough to spread programs; equality compares every event.
        foreach (var ev in Events.AsSpan()[..Math.Min(8, Events.Length)]) hash.Add(ev);
        return hash.ToHashCode();
    }

    /// <summary>A one-line summary; use <see cref="TraceWriter.Write(EventProgram)"/> for the full text.</summary>
    public override string ToString() =>
        $"EventProgram({Events.Length} events, {Machine.Cpus} cpus, variant {Variant ?? "-"}, machine {Machine.ConfigHash:x16})";
}
