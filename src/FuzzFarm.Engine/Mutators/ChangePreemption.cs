using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>
/// Changes where a task is preempted and what runs meanwhile: a new stop for a call, CPU event or step; or,
/// after a stopped event, another task's step or run, a new call or a CPU bring-up in the window.
/// </summary>
public sealed class ChangePreemption : IMutator
{
    public string Name => "preemption";

    public bool Mutate(ProgramBuffer program, ref Prng rng, MutationContext context)
    {
        if (program.Count == 0) return false;
        var at = rng.Below(program.Count);
        ref var ev = ref program[at];
        if (ev.Kind is EventKind.Phase or EventKind.Run) return false;
        if (rng.Chance(1, 2) || ev.Stop.Kind == StopKind.None)
        {
            ev = ev with { Stop = EventGen.Stop(ref rng) };
            return true;
        }

        // Something runs in the window the stop opened.
        MachineEvent meanwhile;
        var roll = rng.Below(4);
        var label = EventGen.RandomLabelBefore(ref rng, program, at + 1);
        if (roll == 0 && label != 0 && label != ev.Task) meanwhile = MachineEvent.StepTask(label, EventGen.Stop(ref rng));
        else if (roll == 1 && context.Machine.Cpus > 1)
            meanwhile = MachineEvent.CpuUp(MachineEvent.MaxTaskLabel, (byte)rng.Between(1, context.Machine.Cpus - 1), rng.Chance(1, 2) ? EventGen.Stop(ref rng) : StopSpec.None);
        else meanwhile = EventGen.Call(ref rng, context);
        var inserted = program.Insert(at + 1, meanwhile);
        if (inserted && ev.StartsTask && rng.Chance(1, 2) && program.Count < program.Limit)
            program.Insert(at + 2, MachineEvent.RunTask(ev.Task));
        return inserted;
    }
}
