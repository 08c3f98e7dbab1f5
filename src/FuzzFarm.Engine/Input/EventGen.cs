using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Engine;

/// <summary>Where mutators are: the machine, the corpus to splice from, and the operations worth drawing.</summary>
public sealed class MutationContext
{
    public MutationContext(MachineConfig machine, ICorpus corpus)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(corpus);
        Machine = machine;
        Corpus = corpus;
        RamPages = (uint)(machine.RamBytes / Units.PAGE_SIZE);
        var ops = new List<CallOp>();
        for (var i = 0; i < TraceNames.OpCount; i++)
        {
            var op = (CallOp)i;
            if (op is CallOp.KfenceProtect or CallOp.KfenceUnprotect && machine.Kfence == KfenceMode.Off) continue;
            if (op == CallOp.KfenceInitLate && machine.Kfence != KfenceMode.Late) continue;
            if (op == CallOp.KernelMapPages && !machine.DebugPagealloc) continue;
            if (TraceNames.IsGmemOp(op) && !machine.GuestMemfd) continue;
            if (op == CallOp.ArchAddMemory && machine.HotaddBytes == 0) continue;
            ops.Add(op);
        }

        Ops = [.. ops];
    }

    public MachineConfig Machine { get; }

    public ICorpus Corpus { get; }

    public uint RamPages { get; }

    /// <summary>
    /// Operations this machine can take (KFENCE, debug_pagealloc, late-KFENCE, guest_memfd and hot-add ones only when
    /// configured, so machines without them draw from the same list as before).
    /// </summary>
    public CallOp[] Ops { get; }

    /// <summary>Bytes scratch for the byte-level mutator (no allocation per execution).</summary>
    internal byte[] ByteScratch { get; } = new byte[ProgramBuffer.Capacity * 16];
}

/// <summary>Draws events and arguments the way the kernel's callers shape them.</summary>
public static class EventGen
{
    private const uint PmdPages = (uint)(Units.PMD_SIZE / Units.PAGE_SIZE);
    private const uint ContPtePages = (uint)(Units.CONT_PTE_SIZE / Units.PAGE_SIZE);
    private const uint ContPmdPages = (uint)(Units.CONT_PMD_SIZE / Units.PAGE_SIZE);
    private const uint PudPages = (uint)(Units.PUD_SIZE / Units.PAGE_SIZE);

    /// <summary>Address shapes a call can take (<see cref="Address"/>).</summary>
    public enum Shape : byte
    {
        BlockBoundary,
        BlockMiddle,
        ContGroup,
        KfencePool,
        KernelAlias,
        Swiotlb,
        Anywhere,
    }

    public const int ShapeCount = 7;

    /// <summary>A first page in one of the shapes (the pool, alias or bounce buffer when the machine has one).</summary>
    public static uint Address(ref Prng rng, MutationContext ctx, Shape shape)
    {
        var m = ctx.Machine;
        var ram = ctx.RamPages;
        ulong page = shape switch
        {
            Shape.BlockBoundary => Boundary(ref rng, ram),
            Shape.BlockMiddle => ((ulong)rng.Below((int)(ram / PmdPages)) * PmdPages) + (ulong)rng.Between(1, (int)PmdPages - 1),
            Shape.ContGroup => ((ulong)rng.Below((int)(ram / ContPtePages)) * ContPtePages) + (ulong)rng.Below((int)ContPtePages),
            Shape.KfencePool when m.Kfence != KfenceMode.Off => Region(ref rng, m.KfencePoolOffset, m.KfencePoolSize),
            Shape.KernelAlias => Region(ref rng, m.KaliasOffset, m.KaliasSize),
            Shape.Swiotlb when m.SwiotlbSize != 0 => Region(ref rng, m.SwiotlbOffset, m.SwiotlbSize),
            _ => (ulong)(rng.NextU64() % ram),
        };
        return (uint)Math.Min(page, ram - 1);
    }

    private static ulong Boundary(ref Prng rng, uint ram)
    {
        var block = rng.Below(4) switch
        {
            0 => PmdPages,
            1 => ContPmdPages,
            2 => PudPages,
            _ => ContPtePages,
        };
        if (block > ram) block = PmdPages;
        var boundary = (ulong)rng.Below((int)(ram / block)) * block;
        return rng.Below(3) switch
        {
            0 => boundary,
            1 => boundary + 1,
            _ => boundary == 0 ? 0 : boundary - 1,
        };
    }

    private static ulong Region(ref Prng rng, ulong offset, ulong size) =>
        (offset / Units.PAGE_SIZE) + (ulong)rng.Below((int)(size / Units.PAGE_SIZE));

    /// <summary>A page count: mostly one page, sometimes a contiguous group, a block or an edge count.</summary>
    public static ushort PageCount(ref Prng rng) => rng.Below(8) switch
    {
        < 4 => 1,
        4 => (ushort)ContPtePages,
        5 => (ushort)PmdPages,
        6 => (ushort)rng.Between(2, 33),
        _ => (ushort)(rng.Chance(1, 2) ? PmdPages + 1 : PmdPages - 1),
    };

    /// <summary>A stop: none, at a preemption point, or after a few points.</summary>
    public static StopSpec Stop(ref Prng rng) => rng.Below(4) switch
    {
        0 or 1 => StopSpec.AtPoint(Points.Preemptible[rng.Below(Points.Preemptible.Length)]),
        2 => StopSpec.After(rng.Between(1, 8)),
        _ => StopSpec.None,
    };

    /// <summary>A permission-change call (label 255: <see cref="ProgramBuffer.Repair(MachineConfig)"/> renumbers it).</summary>
    public static MachineEvent Call(ref Prng rng, MutationContext ctx)
    {
        var op = ctx.Ops[rng.Below(ctx.Ops.Length)];
        var page = Address(ref rng, ctx, (Shape)rng.Below(ShapeCount));
        var pages = PageCount(ref rng);
        var cpu = (byte)rng.Below(ctx.Machine.Cpus);
        var atomic = rng.Chance(1, 4);
        var stop = rng.Chance(1, 2) ? Stop(ref rng) : StopSpec.None;

        // Hot-added RAM (above the machine's RAM) is drawn only on machines that have it, after the draws above, so
        // every other machine's stream is what it was. The call is valid once an arch_add_memory event came first.
        if (ctx.Machine.HotaddBytes != 0 && rng.Chance(1, 3))
            page = ctx.RamPages + (uint)rng.Below((int)(ctx.Machine.HotaddBytes / Units.PAGE_SIZE));
        return Conform(ctx, MachineEvent.Call(MachineEvent.MaxTaskLabel, cpu, atomic ? CallContext.Atomic : CallContext.Task, op,
            page, pages, rng.Chance(1, 2), stop), ref rng);
    }

    /// <summary>Applies an operation's argument rules (single-page ops, the pool for KFENCE, no range for init).</summary>
    public static MachineEvent Conform(MutationContext ctx, MachineEvent ev, ref Prng rng)
    {
        var m = ctx.Machine;
        var page = ev.Page;
        var pages = ev.Pages;
        switch (ev.Op)
        {
            case CallOp.KfenceInitLate or CallOp.ArchAddMemory:
                return ev with { Page = 0, Pages = 0, Enable = false };
            case CallOp.KfenceProtect or CallOp.KfenceUnprotect:
                pages = 1;
                var pool = (uint)(m.KfencePoolOffset / Units.PAGE_SIZE);
                var poolPages = (uint)(m.KfencePoolSize / Units.PAGE_SIZE);
                if (page < pool || page - pool >= poolPages) page = pool + (uint)rng.Below((int)poolPages);
                break;
            case CallOp.SetDirectMapInvalidNoflush or CallOp.SetDirectMapDefaultNoflush:
                pages = 1;
                break;
            case CallOp.SetMemoryRo or CallOp.SetMemoryRw or CallOp.SetMemoryX or CallOp.SetMemoryNx when pages > 32:
                pages = (ushort)(1 + (pages % 32));
                break;
        }

        if (pages == 0) pages = 1;
        var limit = ctx.RamPages + (uint)(m.HotaddBytes / Units.PAGE_SIZE);
        if (page >= limit) page = limit - 1;
        pages = (ushort)Math.Min(pages, limit - page);
        if (TraceNames.IsGmemOp(ev.Op))
        {
            // A folio: a power-of-two page count, the first page aligned to it.
            pages = (ushort)(1 << System.Numerics.BitOperations.Log2(pages));
            page -= page % pages;
        }

        return ev with { Page = page, Pages = pages, Enable = ev.Enable && TraceNames.TakesEnable(ev.Op) };
    }

    /// <summary>Any event; steps and runs refer to a task started before <paramref name="at"/> (if any).</summary>
    public static MachineEvent Any(ref Prng rng, MutationContext ctx, ProgramBuffer program, int at)
    {
        var roll = rng.Below(20);
        if (roll < 11) return Call(ref rng, ctx);
        if (roll < 15)
        {
            var label = RandomLabelBefore(ref rng, program, at);
            if (label != 0)
                return roll < 14 ? MachineEvent.StepTask(label, rng.Chance(1, 2) ? Stop(ref rng) : StopSpec.None) : MachineEvent.RunTask(label);
        }

        if (roll < 17 && ctx.Machine.Cpus > 1)
            return MachineEvent.CpuUp(MachineEvent.MaxTaskLabel, (byte)rng.Between(1, ctx.Machine.Cpus - 1), rng.Chance(1, 2) ? Stop(ref rng) : StopSpec.None);
        if (roll == 17 && ctx.Machine.Cpus > 1)
            return MachineEvent.CpuDown(MachineEvent.MaxTaskLabel, (byte)rng.Between(1, ctx.Machine.Cpus - 1), rng.Chance(1, 2) ? Stop(ref rng) : StopSpec.None);
        if (roll >= 18) return MachineEvent.PhaseTo((BootPhase)rng.Between((int)BootPhase.MapMem, (int)BootPhase.Runtime));
        return Call(ref rng, ctx);
    }

    /// <summary>The label of a random task started before <paramref name="at"/>, or 0.</summary>
    public static byte RandomLabelBefore(ref Prng rng, ProgramBuffer program, int at)
    {
        var starts = 0;
        for (var i = 0; i < at && i < program.Count; i++)
        {
            if (program[i].StartsTask) starts++;
        }

        if (starts == 0) return 0;
        var pick = rng.Below(starts);
        for (var i = 0; i < at; i++)
        {
            if (program[i].StartsTask && pick-- == 0) return program[i].Task;
        }

        return 0;
    }
}
