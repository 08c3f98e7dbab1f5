using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.AflTarget;

/// <summary>The crash afl-fuzz sees: a violation the objective selects. The message names the invariant and where.</summary>
internal sealed class ViolationException(in Violation violation)
    : Exception($"{violation.Id} at {Points.Name(violation.Where)}: {violation.Detail} ({violation.Title})")
{
    public Invariant Invariant { get; } = violation.Invariant;
}

/// <summary>
/// One execution for afl-fuzz: input bytes → <see cref="BinaryDecoder"/> → a run on one <see cref="Machine"/> that is
/// reused across executions (reset in place, no allocation per run once the input buffer has grown) → an exception
/// when the oracle reports a violation the objective selects.
/// </summary>
internal sealed class FuzzBody
{
    /// <summary>
    /// Bytes read from an input. The decoder stops after <see cref="BinaryDecoder.MaxEvents"/> events (at most
    /// ~1 KiB of well-formed bytes); the cap only bounds what refused literals could make it scan.
    /// </summary>
    public const int MaxInputBytes = 16 << 10;

    private readonly Machine _machine;
    private readonly ViolationObjective _objective;
    private readonly MachineEvent[] _events = new MachineEvent[BinaryDecoder.MaxEvents];
    private readonly byte[] _input = new byte[MaxInputBytes];

    public FuzzBody(TargetSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _machine = new Machine(settings.Machine, settings.Variant);
        _objective = settings.Objective();
    }

    public Machine Machine => _machine;

    /// <summary>Events of the last execution.</summary>
    public ReadOnlySpan<MachineEvent> LastEvents => _events.AsSpan(0, LastCount);

    public int LastCount { get; private set; }

    /// <summary>Runs the input in <paramref name="input"/> (read to its end, never closed).</summary>
    /// <exception cref="ViolationException">The run broke a selected invariant.</exception>
    public void Execute(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var length = 0;
        while (length < _input.Length)
        {
            var n = input.Read(_input, length, _input.Length - length);
            if (n == 0) break;
            length += n;
        }

        Execute(_input.AsSpan(0, length));
    }

    /// <exception cref="ViolationException">The run broke a selected invariant.</exception>
    public void Execute(ReadOnlySpan<byte> input)
    {
        LastCount = BinaryDecoder.DecodeInto(input, _machine.Config, _events);
        _machine.Run(_events.AsSpan(0, LastCount));
        foreach (ref readonly var v in _machine.Violations)
        {
            if (_objective.Selects(v)) throw new ViolationException(v);
        }
    }

    /// <summary>Whether the objective selects <paramref name="violation"/>.</summary>
    public bool Selects(in Violation violation) => _objective.Selects(violation);
}
