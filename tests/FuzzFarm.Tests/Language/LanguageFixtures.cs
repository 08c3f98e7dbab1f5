using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Language;

/// <summary>Machines and programs shared by the language tests.</summary>
internal static class LanguageFixtures
{
    private const ulong G = 1UL << 30;
    private const ulong M = 1UL << 20;

    /// <summary>Today's common case: four BBML2 CPUs, 4G, defaults everywhere.</summary>
    public static MachineConfig Plain { get; } = MachineConfig.Uniform(4, bbml2: true);

    /// <summary>The smallest machine: one CPU without BBML2, 64M.</summary>
    public static MachineConfig Tiny { get; } = new([Cpu(false)], ramBytes: 64 * M);

    /// <summary>Every optional machine key set to a non-default value.</summary>
    public static MachineConfig Rich { get; } = new(
        [Cpu(true), Cpu(true), Cpu(true), Cpu(true), Cpu(false, hardware: true), Cpu(true), Cpu(true), Cpu(false)],
        ramBytes: 8 * G, rodata: RodataMode.NoAlias, debugPagealloc: true, kfence: KfenceMode.Late, realm: true,
        bringup: BringupMode.Parallel, walker: WalkerMode.Sect, bootCpus: 6, kaliasOffset: 0x40_0000,
        kaliasSize: 16 * M, kfencePoolOffset: 0x4000_0000, kfencePoolSize: 4 * M, swiotlbOffset: 0x8000_0000,
        swiotlbSize: 64 * M);

    /// <summary>64 CPUs, early KFENCE in a moved pool, no BBML2 detected but present in hardware on some.</summary>
    public static MachineConfig Wide { get; } = new(
        Enumerable.Range(0, 64).Select(i => Cpu(false, hardware: i % 3 == 0)).ToArray(),
        ramBytes: 1 * G, kfence: KfenceMode.Early, kfencePoolOffset: 0x200_0000, kfencePoolSize: 2 * M,
        debugPagealloc: true);

    public static TheoryData<string> MachineNames => ["plain", "tiny", "rich", "wide"];

    public static MachineConfig ByName(string name) => name switch
    {
        "plain" => Plain,
        "tiny" => Tiny,
        "rich" => Rich,
        _ => Wide,
    };

    public static CpuSpec Cpu(bool detected, bool? hardware = null) =>
        new(detected, hardware ?? detected);

    /// <summary>The canonical text of <see cref="RichProgram"/>: every event kind, op, machine key and region form.</summary>
    public const string RichTrace = """
        fuzzfarm-trace 1
        machine cpus=8 bbml2=0,1,2,3,5,6 ram=8G rodata=noalias dpa=on kfence=late realm=on bringup=parallel walker=sect boot-cpus=6 bbml2-hw=0,1,2,3,4,5,6 kalias=0x400000+16M kfence-pool=0x40000000+4M swiotlb=0x80000000+64M
        variant realm-v2'
        env adversarial
        seed 18446744073709551615
        phase map-mem
        call t1 cpu=0 ctx=task set_memory_ro addr=ram+0x1ff000 pages=2 stop=mutex_lock
        step t1 to=split_pmd
        step t1
        run t1
        phase mm-preinit
        call t2 cpu=0 ctx=task set_memory_decrypted addr=ram+0x80000000 pages=512
        phase memblock-free-all
        call t3 cpu=0 ctx=atomic __kernel_map_pages addr=ram+0x3000 enable=0
        phase smp-init
        cpu-up t4 cpu=6 stop=secondary_mmu_on
        call t5 cpu=1 ctx=task set_memory_rw addr=kalias+0x10000 pages=16 stop=3
        step t4 to=2
        call t6 cpu=2 ctx=task set_memory_x addr=ram+0x200000 pages=4096
        call t255 cpu=3 ctx=task set_memory_nx addr=ram+0x100000000
        phase finalize
        call t8 cpu=0 ctx=task kfence_init_late stop=pgtable_alloc
        call t9 cpu=1 ctx=atomic kfence_protect addr=kfence+0x3000
        call t10 cpu=1 ctx=atomic kfence_unprotect addr=kfence+0x3000
        call t11 cpu=4 ctx=task set_memory_valid addr=ram+0x5000 pages=3 enable=1
        call t12 cpu=5 ctx=task set_direct_map_invalid_noflush addr=ram+0x6000
        call t13 cpu=5 ctx=task set_direct_map_default_noflush addr=ram+0x6000
        call t14 cpu=5 ctx=task set_direct_map_valid_noflush addr=ram+0x7000 pages=2 enable=0
        call t15 cpu=7 ctx=task set_memory_encrypted addr=ram+0x80000000 pages=512
        cpu-down t16 cpu=7 stop=1
        phase runtime
        run t16

        """;

    public static EventProgram RichProgram { get; } = new(
        Rich,
        [
            MachineEvent.PhaseTo(BootPhase.MapMem),
            MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0x1ff, 2, stop: StopSpec.AtPoint(Point.MutexLock)),
            MachineEvent.StepTask(1, StopSpec.AtPoint(Point.SplitPmd)),
            MachineEvent.StepTask(1),
            MachineEvent.RunTask(1),
            MachineEvent.PhaseTo(BootPhase.MmPreinit),
            MachineEvent.Call(2, 0, CallContext.Task, CallOp.SetMemoryDecrypted, 0x80000, 512),
            MachineEvent.PhaseTo(BootPhase.MemblockFreeAll),
            MachineEvent.Call(3, 0, CallContext.Atomic, CallOp.KernelMapPages, 3),
            MachineEvent.PhaseTo(BootPhase.SmpInit),
            MachineEvent.CpuUp(4, 6, StopSpec.AtPoint(Point.SecondaryMmuOn)),
            MachineEvent.Call(5, 1, CallContext.Task, CallOp.SetMemoryRw, 0x410, 16, stop: StopSpec.After(3)),
            MachineEvent.StepTask(4, StopSpec.After(2)),
            MachineEvent.Call(6, 2, CallContext.Task, CallOp.SetMemoryX, 0x200, 4096),
            MachineEvent.Call(255, 3, CallContext.Task, CallOp.SetMemoryNx, 0x100000),
            MachineEvent.PhaseTo(BootPhase.Finalize),
            MachineEvent.Call(8, 0, CallContext.Task, CallOp.KfenceInitLate, 0, 0, stop: StopSpec.AtPoint(Point.PgtableAlloc)),
            MachineEvent.Call(9, 1, CallContext.Atomic, CallOp.KfenceProtect, 0x40003),
            MachineEvent.Call(10, 1, CallContext.Atomic, CallOp.KfenceUnprotect, 0x40003),
            MachineEvent.Call(11, 4, CallContext.Task, CallOp.SetMemoryValid, 5, 3, enable: true),
            MachineEvent.Call(12, 5, CallContext.Task, CallOp.SetDirectMapInvalidNoflush, 6),
            MachineEvent.Call(13, 5, CallContext.Task, CallOp.SetDirectMapDefaultNoflush, 6),
            MachineEvent.Call(14, 5, CallContext.Task, CallOp.SetDirectMapValidNoflush, 7, 2),
            MachineEvent.Call(15, 7, CallContext.Task, CallOp.SetMemoryEncrypted, 0x80000, 512),
            MachineEvent.CpuDown(16, 7, StopSpec.After(1)),
            MachineEvent.PhaseTo(BootPhase.Runtime),
            MachineEvent.RunTask(16),
        ],
        variant: "realm-v2'",
        env: EnvMode.Adversarial,
        seed: ulong.MaxValue);
}
