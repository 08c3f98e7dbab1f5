using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Model;

/// <summary>Small builders shared by the model tests.</summary>
internal static class M
{
    public const ulong G = 1UL << 30;
    public const ulong Mi = 1UL << 20;

    /// <summary>Inside a PUD block at boot: 1 GiB + 2 MiB + 4 KiB.</summary>
    public const ulong InPud = G + (2 * Mi) + 4096;

    /// <summary>Inside a CONT-PMD block at boot: 48 MiB + 4 KiB.</summary>
    public const ulong InContPmd = (48 * Mi) + 4096;

    public static uint Page(ulong offset) => (uint)(offset / Units.PAGE_SIZE);

    public static MachineConfig Cpus(params bool[] bbml2) => new(bbml2.Select(CpuSpec.WithBbml2).ToArray());

    public static MachineConfig Z3Machine => Cpus(true, false);

    public static MachineConfig AllBbml2 => Cpus(true, true);

    public static SplitVariant V(string id) => VariantCatalog.Get(id);

    public static MachineEvent Phase(BootPhase p) => MachineEvent.PhaseTo(p);

    public static MachineEvent Call(byte task, CallOp op, ulong offset, ushort pages = 1, byte cpu = 0,
        CallContext ctx = CallContext.Task, bool enable = false, StopSpec stop = default) =>
        MachineEvent.Call(task, cpu, ctx, op, Page(offset), pages, enable, stop);

    public static Machine Run(MachineConfig config, SplitVariant variant, params MachineEvent[] events)
    {
        var machine = new Machine(config, variant);
        machine.Run(events);
        return machine;
    }

    public static bool Has(this Machine m, Invariant invariant) =>
        m.Violations.ToArray().Any(v => v.Invariant == invariant);

    public static Violation First(this Machine m, Invariant invariant) =>
        m.Violations.ToArray().First(v => v.Invariant == invariant);

    public static string Ids(this Machine m) => string.Join(",", m.Violations.ToArray().Select(v => v.Id).Distinct());
}
