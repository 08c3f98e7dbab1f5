using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Changes one argument of a call or CPU event: the address (to a block boundary, a block's middle, a contiguous
/// group, the KFENCE pool, the kernel alias...), the page count, the CPU, the context, the operation or the
/// enable flag.
/// </summary>
public sealed class ChangeArgument : IMutator
{
    public string Name => "argument";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        if (program.Count == 0) return false;
        var at = rng.Below(program.Count);
        ref var ev = ref program[at];
        var m = context.Machine;
        switch (ev.Kind)
        {
            case EventKind.Call:
                ev = rng.Below(6) switch
                {
                    0 => ev with { Page = EventGen.Address(ref rng, context, (EventGen.Shape)rng.Below(EventGen.ShapeCount)) },
                    1 => ev with { Pages = EventGen.PageCount(ref rng) },
                    2 => ev with { Cpu = (byte)rng.Below(m.Cpus) },
                    3 => ev with { Context = ev.Context == CallContext.Task ? CallContext.Atomic : CallContext.Task },
                    4 => ev with { Op = context.Ops[rng.Below(context.Ops.Length)], Pages = TraceNames.TakesRange(ev.Op) ? ev.Pages : (ushort)1 },
                    _ => ev with { Enable = !ev.Enable },
                };
                ev = EventGen.Conform(context, ev, ref rng);
                return true;
            case EventKind.CpuUp or EventKind.CpuDown when m.Cpus > 1:
                ev = rng.Chance(1, 3)
                    ? ev with { Kind = ev.Kind == EventKind.CpuUp ? EventKind.CpuDown : EventKind.CpuUp }
                    : ev with { Cpu = (byte)rng.Between(1, m.Cpus - 1) };
                return true;
            case EventKind.Phase:
                var phase = (int)ev.Phase + (rng.Chance(1, 2) ? 1 : -1);
                ev = MachineEvent.PhaseTo((BootPhase)Math.Clamp(phase, (int)BootPhase.MapMem, (int)BootPhase.Runtime));
                return true;
            default:
                return false;
        }
    }
}
