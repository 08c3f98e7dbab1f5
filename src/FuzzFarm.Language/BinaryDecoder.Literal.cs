using FuzzFarm.Model;

namespace FuzzFarm.Language;

public static partial class BinaryDecoder
{
    private ref partial struct Decoder
    {
        /// <summary>
        /// An exact event after <see cref="LiteralOpcode"/> (layout in <see cref="BinaryEncoder"/>). Nothing is
        /// repaired: an event the validator refuses is dropped, so a literal either means exactly what the encoder
        /// wrote or nothing.
        /// </summary>
        private void Literal()
        {
            var kind = (EventKind)Next();
            MachineEvent ev;
            switch (kind)
            {
                case EventKind.Phase:
                    ev = MachineEvent.PhaseTo((BootPhase)Next());
                    break;
                case EventKind.CpuUp or EventKind.CpuDown:
                    var task = Next();
                    var cpu = Next();
                    ev = new MachineEvent(kind, Task: task, Cpu: cpu, Stop: LiteralStop());
                    break;
                case EventKind.Call:
                    ev = LiteralCall();
                    break;
                case EventKind.Step:
                    var stepped = Next();
                    ev = MachineEvent.StepTask(stepped, LiteralStop());
                    break;
                case EventKind.Run:
                    ev = MachineEvent.RunTask(Next());
                    break;
                default:
                    return;
            }

            Emit(ev, literal: true);
        }

        private MachineEvent LiteralCall()
        {
            var task = Next();
            var cpu = Next();
            var op = (CallOp)Next();
            var flags = Next();
            var page = Next() | ((uint)Next() << 8) | ((uint)Next() << 16) | ((uint)Next() << 24);
            var pages = (ushort)(Next() | (Next() << 8));
            var context = (flags & 1) != 0 ? CallContext.Atomic : CallContext.Task;
            return MachineEvent.Call(task, cpu, context, op, page, pages, (flags & 2) != 0, LiteralStop());
        }

        private StopSpec LiteralStop()
        {
            var kind = (StopKind)Next();
            var value = Next();
            return kind switch
            {
                StopKind.None => StopSpec.None,
                StopKind.AtPoint => StopSpec.AtPoint((Point)value),
                StopKind.AfterCount => StopSpec.After(value),
                _ => new StopSpec(kind, Point.None, value), // refused by the validator
            };
        }
    }
}
