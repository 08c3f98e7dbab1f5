using CsCheck;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Language;

public sealed class BinaryDecoderTests
{
    private const long Iterations = 3000;

    // Long enough to reach the 64-event budget (a call is 8 bytes) and to run out of bytes mid-event.
    private static readonly Gen<byte[]> _bytes = Gen.Byte.Array[0, 600];

    [Theory]
    [MemberData(nameof(LanguageFixtures.MachineNames), MemberType = typeof(LanguageFixtures))]
    public void RandomBytes_DecodeToValidBoundedPrograms(string machineName)
    {
        var machine = LanguageFixtures.ByName(machineName);
        _bytes.Sample(
            bytes =>
            {
                var buffer = new MachineEvent[100];
                var count = BinaryDecoder.DecodeInto(bytes, machine, buffer, out var dropped);
                Assert.Equal(0, dropped); // the repairs alone keep programs valid; the validator is only a net
                Assert.InRange(count, 0, BinaryDecoder.MaxEvents);
                var program = BinaryDecoder.Decode(bytes, machine);
                Assert.Equal(buffer.AsSpan(0, count).ToArray(), program.Events.ToArray());
                Assert.Null(program.Validate());
            },
            iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(LanguageFixtures.MachineNames), MemberType = typeof(LanguageFixtures))]
    public void DecodedPrograms_RoundTripThroughText(string machineName)
    {
        var machine = LanguageFixtures.ByName(machineName);
        _bytes.Sample(
            bytes =>
            {
                var program = BinaryDecoder.Decode(bytes, machine);
                var text = TraceWriter.Write(program);
                var parsed = TraceParser.Parse(text);
                Assert.Equal(program, parsed);
                Assert.Equal(text, TraceWriter.Write(parsed));
            },
            iter: Iterations / 2);
    }

    [Theory]
    [MemberData(nameof(LanguageFixtures.MachineNames), MemberType = typeof(LanguageFixtures))]
    public void DecodedPrograms_RoundTripThroughTheEncoder(string machineName)
    {
        var machine = LanguageFixtures.ByName(machineName);
        _bytes.Sample(
            bytes =>
            {
                var program = BinaryDecoder.Decode(bytes, machine);
                Assert.Equal(program, BinaryDecoder.Decode(BinaryEncoder.Encode(program), machine));
            },
            iter: Iterations / 2);
    }

    [Fact]
    public void SmallDestination_BoundsTheProgram() =>
        Gen.Select(_bytes, Gen.Int[0, 8]).Sample(
            (bytes, size) =>
            {
                var buffer = new MachineEvent[size];
                var count = BinaryDecoder.DecodeInto(bytes, LanguageFixtures.Rich, buffer, out var dropped);
                Assert.Equal(0, dropped);
                Assert.InRange(count, 0, size);
                Assert.Null(new EventProgram(LanguageFixtures.Rich, buffer.AsSpan(0, count).ToArray()).Validate());
            },
            iter: Iterations);

    [Fact]
    public void EmptyInput_DecodesToAnEmptyProgram()
    {
        var program = BinaryDecoder.Decode([], LanguageFixtures.Plain);
        Assert.Empty(program.Events);
        Assert.Equal(LanguageFixtures.Plain, program.Machine);
        Assert.Null(program.Validate());
    }

    [Theory]
    [MemberData(nameof(LanguageFixtures.MachineNames), MemberType = typeof(LanguageFixtures))]
    public void DecodeInto_DoesNotAllocate(string machineName)
    {
        var machine = LanguageFixtures.ByName(machineName);
        // Mixed input: shaped events, literals (valid and not) and a cut-off tail.
        var bytes = Enumerable.Range(0, 700).Select(i => (byte)(i % 23 == 0 ? 0xff : i * 131 + 7)).ToArray();
        var buffer = new MachineEvent[BinaryDecoder.MaxEvents];
        Assert.True(BinaryDecoder.DecodeInto(bytes, machine, buffer) > 10);
        const int runs = 500;
        for (var i = 0; i < runs; i++) BinaryDecoder.DecodeInto(bytes.AsSpan(i % 50), machine, buffer);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < runs; i++) BinaryDecoder.DecodeInto(bytes.AsSpan(i % 50), machine, buffer);
        // The runtime itself may allocate a few bytes once (tiered JIT); an allocation per decode would be at
        // least 24 bytes per run.
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, runs - 1);
    }

    [Fact]
    public void Decoding_IsDeterministic()
    {
        var bytes = Enumerable.Range(0, 400).Select(i => (byte)(i * 37 + 11)).ToArray();
        Assert.Equal(BinaryDecoder.Decode(bytes, LanguageFixtures.Rich), BinaryDecoder.Decode(bytes, LanguageFixtures.Rich));
    }

    [Fact]
    public void Encoder_RoundTripsTheRichProgramEvents()
    {
        var rich = LanguageFixtures.RichProgram;
        var decoded = BinaryDecoder.Decode(BinaryEncoder.Encode(rich), rich.Machine);
        Assert.Equal(rich.Events.ToArray(), decoded.Events.ToArray());
        Assert.Equal(new EventProgram(rich.Machine, rich.Events), decoded);
    }

    [Fact]
    public void Encoder_RefusesWhatTheDecoderCannotHold()
    {
        var events = Enumerable.Range(1, BinaryDecoder.MaxEvents + 1)
            .Select(i => MachineEvent.Call((byte)i, 0, CallContext.Task, CallOp.SetMemoryRo, 0));
        Assert.Throws<ArgumentException>(() => BinaryEncoder.Encode(new EventProgram(LanguageFixtures.Plain, events)));
        Assert.Throws<ArgumentException>(() => BinaryEncoder.Encode(
            new EventProgram(LanguageFixtures.Plain, [MachineEvent.RunTask(1)])));
    }

    [Fact]
    public void EventsThatNeedAPhase_AreBroughtToIt()
    {
        // cpu-up (opcode 0xe6) first: the decoder emits phase smp-init before it.
        var up = BinaryDecoder.Decode([0xe6, 0, 0], LanguageFixtures.Plain).Events;
        Assert.Equal(new[] { MachineEvent.PhaseTo(BootPhase.SmpInit), MachineEvent.CpuUp(1, 1) }, up.ToArray());

        // kfence_init_late (op 13) on a kfence=late machine: phase finalize first.
        var late = BinaryDecoder.Decode([0x00, 13, 0, 0, 0, 0, 0, 0], LanguageFixtures.Rich).Events;
        Assert.Equal(MachineEvent.PhaseTo(BootPhase.Finalize), late[0]);
        Assert.Equal(CallOp.KfenceInitLate, late[1].Op);

        // With one slot left, the decoder cannot add the phase and falls back to a call.
        var buffer = new MachineEvent[1];
        Assert.Equal(1, BinaryDecoder.DecodeInto([0xe6, 0, 0], LanguageFixtures.Plain, buffer));
        Assert.Equal(EventKind.Call, buffer[0].Kind);
    }

    [Fact]
    public void KfenceOps_WithoutKfence_BecomeSetMemoryValid()
    {
        var unprotect = BinaryDecoder.Decode([0x00, 11, 0, 0, 0, 0, 200, 0], LanguageFixtures.Plain).Events.Single();
        Assert.Equal(CallOp.SetMemoryValid, unprotect.Op);
        Assert.True(unprotect.Enable);
        Assert.Equal(1, unprotect.Pages);
    }

    [Fact]
    public void RandomBytes_ReachEveryEventKindAndOperation()
    {
        // A useful decoder spreads random inputs over everything the rich machine allows: the revision-1 operations,
        // and with gmem=on and hotadd= the guest_memfd and hot-add ones too.
        var (kinds, ops) = Reached(LanguageFixtures.Rich);
        Assert.Equal(6, kinds.Count);
        Assert.Equal(TraceNames.Revision1OpCount, ops.Count);
        var (_, ops3) = Reached(LanguageFixtures.Rich.With(guestMemfd: true, hotaddBytes: 1UL << 30));
        Assert.Equal(TraceNames.OpCount, ops3.Count);
    }

    [Fact]
    public void Revision3Ops_DecodeToFoliosAndOneHotAdd_AndHotAddRamOnlyAfterIt()
    {
        var machine = LanguageFixtures.Rich.With(guestMemfd: true, hotaddBytes: 1UL << 30);
        var ramPages = (uint)(machine.RamBytes / Units.PAGE_SIZE);
        var state = 0x5EED_0003UL;
        var hotRanges = 0;
        for (var n = 0; n < 400; n++)
        {
            var bytes = new byte[300];
            for (var i = 0; i < bytes.Length; i++)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes[i] = (byte)state;
            }

            var added = false;
            foreach (var ev in BinaryDecoder.Decode(bytes, machine).Events)
            {
                if (ev.Kind != EventKind.Call) continue;
                if (ev.Op == CallOp.ArchAddMemory)
                {
                    Assert.False(added, "a second arch_add_memory");
                    added = true;
                }

                if (TraceNames.IsGmemOp(ev.Op)) Assert.True(EventValidator.IsFolio(ev.Page, ev.Pages), $"not a folio: {ev}");
                if (TraceNames.TakesRange(ev.Op) && ev.Page + ev.Pages > ramPages)
                {
                    Assert.True(added, $"hot-add RAM named before arch_add_memory: {ev}");
                    hotRanges++;
                }
            }
        }

        Assert.True(hotRanges > 0, "random bytes never named the hot-added RAM");
    }

    private static (HashSet<EventKind> Kinds, HashSet<CallOp> Ops) Reached(MachineConfig machine)
    {
        var kinds = new HashSet<EventKind>();
        var ops = new HashSet<CallOp>();
        var state = 0x9E3779B97F4A7C15UL;
        for (var n = 0; n < 300; n++)
        {
            var bytes = new byte[300];
            for (var i = 0; i < bytes.Length; i++)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes[i] = (byte)state;
            }

            foreach (var ev in BinaryDecoder.Decode(bytes, machine).Events)
            {
                kinds.Add(ev.Kind);
                if (ev.Kind == EventKind.Call) ops.Add(ev.Op);
            }
        }

        return (kinds, ops);
    }
}
