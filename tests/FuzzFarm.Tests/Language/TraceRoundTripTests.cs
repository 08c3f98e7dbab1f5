using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Tests.Language;

public sealed class TraceRoundTripTests
{
    [Fact]
    public void RichProgram_WritesTheCanonicalText()
    {
        Assert.Null(LanguageFixtures.RichProgram.Validate());
        Assert.Equal(LanguageFixtures.RichTrace, TraceWriter.Write(LanguageFixtures.RichProgram));
    }

    [Fact]
    public void RichTrace_ParsesToTheProgram() =>
        Assert.Equal(LanguageFixtures.RichProgram, TraceParser.Parse(LanguageFixtures.RichTrace));

    [Fact]
    public void NonCanonicalSpellings_ParseToTheSameProgram()
    {
        // Other key orders, sizes, address forms, comments, blank lines, tabs and CRLF all read the same program.
        const string text = "# a finding\r\n\r\n"
            + "fuzzfarm-trace 1   # revision\r\n"
            + "seed 18446744073709551615\n"
            + "env adversarial\n"
            + "machine swiotlb=2G+0x4000000 kfence-pool=1G+4096K kalias=4M+0x1000000 boot-cpus=6 walker=sect\t"
            + "bringup=parallel realm=on kfence=late dpa=on rodata=noalias ram=8192M bbml2-hw=6,5,4,3,2,1,0 "
            + "bbml2=6,5,3,2,1,0 cpus=8\n"
            + "variant realm-v2'\n"
            + "phase map-mem\n"
            + "call t1 set_memory_ro stop=mutex_lock pages=2 ctx=task cpu=0 addr=0xffff0000001ff000\n"
            + "step t1 to=split_pmd\nstep t1\nrun t1 # done\nphase mm-preinit\n"
            + "call t2 cpu=0 ctx=task set_memory_decrypted addr=swiotlb+0 pages=512\n"
            + "phase memblock-free-all\n"
            + "call t3 cpu=0 ctx=atomic __kernel_map_pages addr=ram+12K\n"
            + "phase smp-init\ncpu-up t4 cpu=6 stop=secondary_mmu_on\n"
            + "call t5 cpu=1 ctx=task set_memory_rw addr=ram+0x410000 pages=16 stop=3\nstep t4 to=2\n"
            + "call t6 cpu=2 ctx=task set_memory_x addr=ram+2M pages=4096\n"
            + "call t255 cpu=3 ctx=task set_memory_nx addr=ram+4G pages=1\nphase finalize\n"
            + "call t8 cpu=0 ctx=task kfence_init_late stop=pgtable_alloc\n"
            + "call t9 cpu=1 ctx=atomic kfence_protect addr=ram+0x40003000\n"
            + "call t10 cpu=1 ctx=atomic kfence_unprotect addr=kfence+12K\n"
            + "call t11 cpu=4 ctx=task set_memory_valid addr=ram+0x5000 pages=3 enable=1\n"
            + "call t12 cpu=5 ctx=task set_direct_map_invalid_noflush addr=ram+0x6000\n"
            + "call t13 cpu=5 ctx=task set_direct_map_default_noflush addr=ram+0x6000\n"
            + "call t14 cpu=5 ctx=task set_direct_map_valid_noflush addr=ram+0x7000 pages=2\n"
            + "call t15 cpu=7 ctx=task set_memory_encrypted addr=swiotlb+0x0 pages=512\n"
            + "cpu-down t16 cpu=7 stop=1\nphase runtime\nrun t16";
        var program = TraceParser.Parse(text, "finding.trace");
        Assert.Equal(LanguageFixtures.RichProgram, program);
        Assert.Equal(LanguageFixtures.RichTrace, TraceWriter.Write(program));
    }

    [Fact]
    public void MinimalTrace_UsesMachineDefaults()
    {
        var program = TraceParser.Parse("fuzzfarm-trace 1\nmachine cpus=2\n");
        Assert.Equal(MachineConfig.Uniform(2, bbml2: true), program.Machine);
        Assert.Empty(program.Events);
        Assert.Null(program.Variant);
        Assert.Null(program.Env);
        Assert.Null(program.Seed);
        Assert.Equal(
            "fuzzfarm-trace 1\nmachine cpus=2 bbml2=all ram=4G rodata=on dpa=off kfence=off realm=off bringup=serial walker=leaf\n",
            TraceWriter.Write(program));
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void HandWrittenPrograms_RoundTrip(string name)
    {
        var program = HandWritten(name);
        Assert.Null(program.Validate());
        var text = TraceWriter.Write(program);
        var parsed = TraceParser.Parse(text);
        Assert.Equal(program, parsed);
        Assert.Equal(program.GetHashCode(), parsed.GetHashCode());
        Assert.Equal(text, TraceWriter.Write(parsed));
    }

    public static TheoryData<string> Programs => ["rich", "tiny", "wide", "plain-strict", "swiotlb-none"];

    private static EventProgram HandWritten(string name) => name switch
    {
        "rich" => LanguageFixtures.RichProgram,
        "tiny" => new EventProgram(
            LanguageFixtures.Tiny,
            [
                MachineEvent.Call(7, 0, CallContext.Atomic, CallOp.SetMemoryValid, 0x3fff, 1, enable: true),
                MachineEvent.PhaseTo(BootPhase.Runtime),
                MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0, 4096, stop: StopSpec.After(255)),
                MachineEvent.StepTask(7, StopSpec.AtPoint(Point.CpuMmuOff)),
            ],
            variant: "0"),
        "wide" => new EventProgram(
            LanguageFixtures.Wide,
            [
                MachineEvent.PhaseTo(BootPhase.Finalize),
                MachineEvent.CpuUp(200, 63),
                MachineEvent.CpuDown(201, 1, StopSpec.AtPoint(Point.SetCpuOffline)),
                MachineEvent.Call(2, 63, CallContext.Atomic, CallOp.KfenceProtect, 0x2000 + 511),
                MachineEvent.Call(3, 62, CallContext.Task, CallOp.KernelMapPages, 0x3ffff, 1, enable: true),
                MachineEvent.RunTask(200),
            ],
            env: EnvMode.Strict,
            seed: 0),
        "plain-strict" => new EventProgram(
            LanguageFixtures.Plain,
            [MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRw, 0x201, 16)],
            variant: "bbml2-uncond",
            env: EnvMode.Strict),
        _ => new EventProgram(
            LanguageFixtures.Plain.With(swiotlbOffset: 0x1000, swiotlbSize: 0, kfencePoolOffset: 0x1000_0000),
            [MachineEvent.PhaseTo(BootPhase.MapMem)]),
    };

    [Fact]
    public void Writer_PicksTheRegionOfThePage()
    {
        var m = LanguageFixtures.Rich;
        string Addr(uint page) => TraceWriter.Write(new EventProgram(
            m, [MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, page)])).Split('\n')[^2];
        Assert.EndsWith("addr=kfence+0x0", Addr(0x40000));
        Assert.EndsWith("addr=kfence+0x3ff000", Addr(0x403ff));
        Assert.EndsWith("addr=ram+0x40400000", Addr(0x40400));
        Assert.EndsWith("addr=kalias+0x0", Addr(0x400));
        Assert.EndsWith("addr=ram+0x3ff000", Addr(0x3ff));
        Assert.EndsWith("addr=ram+0x80000000", Addr(0x80000)); // swiotlb pages are written as RAM offsets
    }

    [Fact]
    public void Writer_WithoutKfence_WritesPoolPagesAsRam()
    {
        var program = new EventProgram(
            LanguageFixtures.Plain, [MachineEvent.Call(1, 0, CallContext.Task, CallOp.SetMemoryRo, 0xe0200)]);
        Assert.EndsWith("addr=ram+0xe0200000\n", TraceWriter.Write(program));
    }

    [Fact]
    public void Revision3Program_RoundTrips_AndOlderProgramsKeepTheirHeader()
    {
        const string text = """
            fuzzfarm-trace 3
            machine cpus=2 bbml2=all ram=4G rodata=noalias dpa=off kfence=off realm=on bringup=serial walker=leaf gmem=on hotadd=1G
            phase runtime
            call t1 cpu=0 ctx=task arch_add_memory
            call t2 cpu=1 ctx=task kvm_gmem_folio_zap_direct_map addr=hotadd+0x400000 pages=1024 stop=mutex_lock
            call t3 cpu=0 ctx=task kvm_gmem_folio_restore_direct_map addr=ram+0x10000 pages=16
            run t2

            """;
        var program = TraceParser.Parse(text.Replace("\r", "", StringComparison.Ordinal));
        Assert.True(program.Machine.GuestMemfd);
        Assert.Equal(1UL << 30, program.Machine.HotaddBytes);
        Assert.Equal(text.Replace("\r", "", StringComparison.Ordinal), TraceWriter.Write(program));
        Assert.Equal(3, TraceWriter.NeededRevision(program));

        // The same machine without the revision-3 keys and events is written as revision 1, byte for byte as before.
        var old = new EventProgram(program.Machine.With(guestMemfd: false, hotaddBytes: 0), [program.Events[0]]);
        Assert.StartsWith("fuzzfarm-trace 1\nmachine cpus=2 bbml2=all ram=4G rodata=noalias dpa=off kfence=off realm=on bringup=serial walker=leaf\n",
            TraceWriter.Write(old), StringComparison.Ordinal);
        Assert.Equal(0x41852a1f293ebe14UL, old.Machine.ConfigHash); // Z6's machine, as fuzzfarm replay printed it before revision 3
        Assert.NotEqual(old.Machine.ConfigHash, program.Machine.ConfigHash);
    }
}
