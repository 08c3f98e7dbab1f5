// Byte layout of a fuzzer input (stable within a FuzzFarm release; corpora are re-derived from traces, not
// kept across layout changes).
//
//   input  := event*              decoding stops at the end of the input or after the event budget
//                                 (MaxEvents = 64, or the destination length if smaller)
//   event  := opcode operand*     a read past the end yields 0, so a cut-off event is completed with zeros
//
// opcode (1 byte) picks the event kind by weight:
//   0x00-0x8b (140/256)  call      op flags shape param-lo param-hi pages stop   (7 operand bytes)
//   0x8c-0xb3 ( 40/256)  step      task stop
//   0xb4-0xcc ( 25/256)  run       task
//   0xcd-0xe5 ( 25/256)  phase     steps
//   0xe6-0xf4 ( 15/256)  cpu-up    cpu stop
//   0xf5-0xfe ( 10/256)  cpu-down  cpu stop
//   0xff      (  1/256)  literal   exact fields, BinaryEncoder's form (see BinaryDecoder.Literal.cs)
//
// Operands:
//   op     CallOp = op % 14 (enum order, the kernel names of TraceNames); on a machine with gmem=on or hotadd=
//          op % 17 (the revision-3 operations guest_memfd zap/restore and arch_add_memory too)
//   flags  bit 0: atomic context; bit 1: enable; bits 2-7: cpu = (flags >> 2) % cpus (cpu 0 before smp-init)
//   shape  bits 0-2 choose the address shape, bits 3-7 ("hi") refine it; param = param-lo | param-hi << 8:
//            0 block boundary ± a page: block = 2M, 32M, 1G or 64K by hi & 3; boundary = param % blocks;
//              page offset -1, 0, +1, -1 by (hi >> 2) & 3 (so most ranges straddle a boundary)
//            1 middle of a 2 MiB block: block param % blocks, page 256 of it
//            2 inside a 64 KiB contiguous group: group param % groups, page hi % 16 of it
//            3 inside the KFENCE pool: pool page param % pool pages (shape 2 without KFENCE)
//            4 inside the kernel alias: alias page param % alias pages
//            5 anywhere: page param * ram pages / 65536 + hi (ram pages: with the hot-add RAM once added)
//            6 inside the swiotlb bounce buffer; without one, inside the hot-add RAM once it is added
//              (else shape 7)
//            7 raw page index (hi << 16 | param) % ram pages (likewise)
//   pages  0-127: 1, 128-175: 16, 176-207: 512, 208-239: 2..33, 240-255: a table of edge counts;
//          clamped so that the range ends inside RAM
//   stop   0-95: none, 96-223: stop at Points.Preemptible[(b - 96) % n], 224-255: after b - 223 points
//   task   step/run: the (task % defined)-th label defined so far; new tasks take the lowest free label
//   cpu    cpu-up/cpu-down: 1 + cpu % (cpus - 1)
//   steps  phase: advance 1 + steps % 3 phases (capped at runtime)
//
// Repairs keep every program valid while keeping the bytes' intent where one exists:
//   - an event that needs a later phase (cpu-up: smp-init, cpu-down and kfence_init_late: finalize,
//     __kernel_map_pages: memblock-free-all) is preceded by that phase event when two slots remain; otherwise
//     cpu-up/cpu-down become a call (reading call operands) and the calls become set_memory_valid;
//   - phase at runtime, step/run with no task yet, cpu-up/cpu-down on a one-CPU machine become a call;
//   - kfence_protect/unprotect without KFENCE become set_memory_valid(addr, 1, 0/1) (what KFENCE would call);
//     with KFENCE their page is moved into the pool; kfence_init_late without kfence=late and
//     __kernel_map_pages without dpa=on become set_memory_valid;
//   - one-page operations get pages = 1 and enable is cleared for operations that take none;
//   - guest_memfd operations without gmem=on become set_direct_map_invalid/valid_noflush; with it their range
//     becomes a folio (pages rounded down to a power of two, the page aligned down to it);
//   - arch_add_memory without hotadd=, a second time, or when finalize cannot be reached becomes set_memory_valid;
//   - set_memory_ro/rw/x/nx (a vmalloc area, one linear-alias call per backing page) get at most 32 pages.
// Every event still passes through EventValidator; one that would not (a literal with bad fields, or a repair
// this decoder lacks) is dropped, so validity never depends on the repairs being complete.
using System.Collections.Immutable;
using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>
/// A total decoder from fuzzer bytes to event programs: every byte string, including the empty one, decodes
/// without throwing to a bounded program that passes <see cref="EventProgram.Validate"/>. The layout (top of
/// this file) spends most bytes on permission-change calls at addresses shaped by the machine, so random inputs
/// exercise block boundaries, contiguous groups and the KFENCE pool rather than arbitrary pages.
/// </summary>
public static partial class BinaryDecoder
{
    /// <summary>Most events one input decodes to.</summary>
    public const int MaxEvents = 64;

    /// <summary>The opcode of an exact (encoder-written) event.</summary>
    public const byte LiteralOpcode = 0xff;

    // Opcode thresholds: an opcode below the bound belongs to that kind.
    private const byte CallBelow = 0x8c;
    private const byte StepBelow = 0xb4;
    private const byte RunBelow = 0xcd;
    private const byte PhaseBelow = 0xe6;
    private const byte CpuUpBelow = 0xf5;

    /// <summary>Decodes <paramref name="data"/> into a program on <paramref name="machine"/>.</summary>
    public static EventProgram Decode(ReadOnlySpan<byte> data, MachineConfig machine)
    {
        Span<MachineEvent> buffer = stackalloc MachineEvent[MaxEvents];
        var count = DecodeInto(data, machine, buffer);
        return new EventProgram(machine, ImmutableArray.Create<MachineEvent>(buffer[..count]));
    }

    /// <summary>
    /// Decodes into <paramref name="destination"/> without allocating and returns the number of events written
    /// (at most <see cref="MaxEvents"/> and at most the destination's length).
    /// </summary>
    public static int DecodeInto(ReadOnlySpan<byte> data, MachineConfig machine, Span<MachineEvent> destination) =>
        DecodeInto(data, machine, destination, out _);

    /// <summary>As the public overload; <paramref name="dropped"/> counts events outside literals that the validator
    /// refused (always 0 unless a repair is missing).</summary>
    internal static int DecodeInto(
        ReadOnlySpan<byte> data, MachineConfig machine, Span<MachineEvent> destination, out int dropped)
    {
        ArgumentNullException.ThrowIfNull(machine);
        Span<byte> labels = stackalloc byte[MaxEvents];
        var decoder = new Decoder(data, machine, destination, labels);
        decoder.Run();
        dropped = decoder.Dropped;
        return decoder.Count;
    }

    private ref partial struct Decoder
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly MachineConfig _m;
        private readonly Span<MachineEvent> _destination;
        private readonly Span<byte> _labels;
        private readonly int _limit;
        private readonly uint _ramPages;
        private readonly uint _hotaddPages;
        private readonly int _opCount;
        private EventValidator _validator;
        private int _position;
        private int _labelCount;

        public Decoder(ReadOnlySpan<byte> data, MachineConfig machine, Span<MachineEvent> destination, Span<byte> labels)
        {
            _data = data;
            _m = machine;
            _destination = destination;
            _labels = labels;
            _limit = Math.Min(MaxEvents, destination.Length);
            _ramPages = (uint)(machine.RamBytes / Units.PAGE_SIZE);
            _hotaddPages = (uint)(machine.HotaddBytes / Units.PAGE_SIZE);

            // Revision-3 operations only on machines with revision-3 keys: every other machine decodes bytes as before.
            _opCount = machine.GuestMemfd || machine.HotaddBytes != 0 ? TraceNames.OpCount : TraceNames.Revision1OpCount;
            _validator = new EventValidator(machine);
        }

        public readonly int Count => _validator.Count;

        public int Dropped { get; private set; }

        public void Run()
        {
            while (Count < _limit && _position < _data.Length)
            {
                var opcode = Next();
                if (opcode == LiteralOpcode) Literal();
                else if (opcode < CallBelow) Call();
                else if (opcode < StepBelow) StepOrRun(EventKind.Step);
                else if (opcode < RunBelow) StepOrRun(EventKind.Run);
                else if (opcode < PhaseBelow) Phase();
                else CpuEvent(opcode < CpuUpBelow ? EventKind.CpuUp : EventKind.CpuDown);
            }
        }

        private void Phase()
        {
            if (_validator.Phase >= BootPhase.Runtime)
            {
                Call();
                return;
            }

            var target = Math.Min((int)BootPhase.Runtime, (int)_validator.Phase + 1 + (Next() % 3));
            Emit(MachineEvent.PhaseTo((BootPhase)target));
        }

        private void StepOrRun(EventKind kind)
        {
            if (_labelCount == 0)
            {
                Call();
                return;
            }

            var task = _labels[Next() % _labelCount];
            Emit(kind == EventKind.Step ? MachineEvent.StepTask(task, Stop(Next())) : MachineEvent.RunTask(task));
        }

        private void CpuEvent(EventKind kind)
        {
            var needs = kind == EventKind.CpuUp ? BootPhase.SmpInit : BootPhase.Finalize;
            if (_m.Cpus < 2 || !Reach(needs))
            {
                Call();
                return;
            }

            var cpu = (byte)(1 + (Next() % (_m.Cpus - 1)));
            var stop = Stop(Next());
            Emit(kind == EventKind.CpuUp ? MachineEvent.CpuUp(NewLabel(), cpu, stop) : MachineEvent.CpuDown(NewLabel(), cpu, stop));
        }

        /// <summary>Makes sure the machine is at <paramref name="phase"/>, emitting the phase event when two slots
        /// remain (one for it, one for the event that needs it). False when it cannot.</summary>
        private bool Reach(BootPhase phase)
        {
            if (_validator.Phase >= phase) return true;
            if (Count + 2 > _limit) return false;
            return Emit(MachineEvent.PhaseTo(phase));
        }

        /// <summary>Appends a valid event. An invalid one is dropped; outside literals that means a repair is missing,
        /// which <see cref="Dropped"/> counts for the tests.</summary>
        private bool Emit(in MachineEvent ev, bool literal = false)
        {
            var index = Count;
            if (!_validator.TryAccept(ev))
            {
                if (!literal) Dropped++;
                return false;
            }

            _destination[index] = ev;
            if (ev.StartsTask) _labels[_labelCount++] = ev.Task;
            return true;
        }

        private readonly byte NewLabel()
        {
            for (var label = 1; label <= MachineEvent.MaxTaskLabel; label++)
            {
                if (!_validator.IsDefined((byte)label)) return (byte)label;
            }

            return 0; // unreachable: a program of MaxEvents events defines at most MaxEvents labels
        }

        private byte Next() => _position < _data.Length ? _data[_position++] : (byte)0;

        private static StopSpec Stop(byte b)
        {
            if (b < 96) return StopSpec.None;
            if (b < 224) return StopSpec.AtPoint(Points.Preemptible[(b - 96) % Points.Preemptible.Length]);
            return StopSpec.After(b - 223);
        }
    }
}
