using FuzzFarm.Language;

namespace FuzzFarm.Tests.Language;

public sealed class TraceErrorTests
{
    private const string H = "fuzzfarm-trace 1\n";
    private const string Hm = H + "machine cpus=4\n";
    private const string G = "fuzzfarm-trace 3\n";

    [Theory]
    // Header and file structure.
    [InlineData("", 1, "missing header")]
    [InlineData("# only a comment\n\n", 1, "missing header")]
    [InlineData("machine cpus=4\n", 1, "missing header")]
    [InlineData("fuzzfarm-trace 4\nmachine cpus=4\n", 1, "revision")]
    [InlineData("fuzzfarm-trace 1\nmachine cpus=2 midr=other:r0p0\n", 2, "revision 2")]
    [InlineData("fuzzfarm-trace one\n", 1, "bad revision")]
    // Revision 3 (gmem, hotadd, guest_memfd and hot-add operations): an older header names its revision.
    [InlineData("fuzzfarm-trace 2\nmachine cpus=2 gmem=on\n", 2, "gmem: needs format revision 3 (the header says 2)")]
    [InlineData(H + "machine cpus=2 hotadd=1G\n", 2, "hotadd: needs format revision 3 (the header says 1)")]
    [InlineData("fuzzfarm-trace 2\nmachine cpus=2\nphase finalize\ncall t1 cpu=0 ctx=task arch_add_memory\n", 4,
        "arch_add_memory: needs format revision 3 (the header says 2)")]
    [InlineData(H + "machine cpus=2\ncall t1 cpu=0 ctx=task kvm_gmem_folio_zap_direct_map addr=ram+0x200000 pages=512\n", 3,
        "kvm_gmem_folio_zap_direct_map: needs format revision 3 (the header says 1)")]
    [InlineData(G + "machine cpus=2\ncall t1 cpu=0 ctx=task kvm_gmem_folio_zap_direct_map addr=ram+0x200000\n", 3, "needs gmem=on")]
    [InlineData(G + "machine cpus=2 gmem=on\ncall t1 cpu=0 ctx=task kvm_gmem_folio_zap_direct_map addr=ram+0x201000 pages=16\n", 3, "not a folio")]
    [InlineData(G + "machine cpus=2 gmem=on\ncall t1 cpu=0 ctx=task kvm_gmem_folio_restore_direct_map addr=ram+0x200000 pages=3\n", 3, "not a folio")]
    [InlineData(G + "machine cpus=2 gmem=maybe\n", 2, "gmem: unknown value")]
    [InlineData(G + "machine cpus=2 hotadd=100M\n", 2, "multiple of 128M")]
    [InlineData(G + "machine cpus=2 hotadd=1G\ncall t1 cpu=0 ctx=task arch_add_memory\n", 3, "needs phase finalize")]
    [InlineData(G + "machine cpus=2\nphase finalize\ncall t1 cpu=0 ctx=task arch_add_memory\n", 4, "needs hotadd=SIZE")]
    [InlineData(G + "machine cpus=2 hotadd=1G\nphase finalize\ncall t1 cpu=0 ctx=task arch_add_memory addr=hotadd+0\n", 4, "whole hotadd= range")]
    [InlineData(G + "machine cpus=2 hotadd=1G\nphase finalize\ncall t1 cpu=0 ctx=task arch_add_memory\ncall t2 cpu=0 ctx=task arch_add_memory\n", 5, "already added")]
    [InlineData(G + "machine cpus=2 hotadd=1G\nphase finalize\ncall t1 cpu=0 ctx=task set_memory_ro addr=hotadd+0x1000\n", 4, "before an arch_add_memory event")]
    [InlineData(G + "machine cpus=2\ncall t1 cpu=0 ctx=task set_memory_ro addr=hotadd+0x1000\n", 3, "no hot-add RAM")]
    [InlineData(G + "machine cpus=2 ram=4G hotadd=1G\nphase finalize\ncall t1 cpu=0 ctx=task arch_add_memory\ncall t2 cpu=0 ctx=task set_memory_ro addr=hotadd+0x40000000\n", 5, "outside the hot-add RAM")]
    [InlineData(H + "# no machine\n", 2, "missing machine")]
    [InlineData(H + "phase map-mem\n", 2, "missing machine line before the first event")]
    [InlineData(Hm + "fuzzfarm-trace 1\n", 3, "duplicate header")]
    [InlineData(Hm + "machine cpus=4\n", 3, "duplicate 'machine'")]
    [InlineData(Hm + "phase map-mem\nseed 3\n", 4, "before the first event")]
    [InlineData(Hm + "frobnicate t1\n", 3, "unknown keyword")]
    [InlineData(Hm + "variant Realm_v2\n", 3, "variant")]
    [InlineData(Hm + "env lenient\n", 3, "unknown value")]
    [InlineData(Hm + "seed -1\n", 3, "bad number")]
    [InlineData(Hm + "seed 18446744073709551616\n", 3, "bad number")]
    // Machine line.
    [InlineData(H + "machine ram=4G\n", 2, "missing key 'cpus='")]
    [InlineData(H + "machine cpus=4 colour=blue\n", 2, "unknown key 'colour'")]
    [InlineData(H + "machine cpus=4 ram=4G ram=8G\n", 2, "duplicate key 'ram'")]
    [InlineData(H + "machine cpus=4 ram=4X\n", 2, "bad number")]
    [InlineData(H + "machine cpus=65\n", 2, "out of range")]
    [InlineData(H + "machine cpus=4 ram=63M\n", 2, "ram")]
    [InlineData(H + "machine cpus=4 bbml2=0,9\n", 2, "out of range")]
    [InlineData(H + "machine cpus=4 bbml2=1,1\n", 2, "listed twice")]
    [InlineData(H + "machine cpus=4 kfence=full\n", 2, "unknown value")]
    [InlineData(H + "machine cpus=4 kfence=early kfence-pool=0x200000+2M\n", 2, "overlaps")]
    [InlineData(H + "machine cpus=4 kalias=0x200000\n", 2, "OFFSET+SIZE")]
    [InlineData(H + "machine cpus=4 boot-cpus=0\n", 2, "out of range")]
    [InlineData(H + "machine cpus=4 extra\n", 2, "unexpected token")]
    // Events: syntax.
    [InlineData(Hm + "phase bedtime\n", 3, "unknown phase")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_rox addr=ram+0\n", 3, "unknown operation")]
    [InlineData(Hm + "call t1 cpu=0 set_memory_ro addr=ram+0\n", 3, "missing key 'ctx='")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro\n", 3, "missing key 'addr='")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0 addr=ram+0\n", 3, "duplicate key")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0 colour=red\n", 3, "unknown key 'colour'")]
    [InlineData(Hm + "call t1 cpu=0 ctx=irq set_memory_ro addr=ram+0\n", 3, "unknown ctx")]
    [InlineData(Hm + "call t1 cpu=x ctx=task set_memory_ro addr=ram+0\n", 3, "bad number")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0x1001\n", 3, "page-aligned")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+4G\n", 3, "outside RAM")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=0x40000000\n", 3, "outside RAM")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=kalias+30M\n", 3, "outside the kernel alias")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=kfence+0\n", 3, "no KFENCE pool")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=swiotlb+0\n", 3, "no swiotlb")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=heap+0\n", 3, "unknown region")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0xg\n", 3, "bad number")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0 pages=4097\n", 3, "out of range")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0 enable=1\n", 3, "enable")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_valid addr=ram+0 enable=yes\n", 3, "0 or 1")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0 stop=pud_leaf\n", 3, "preemption point")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0 stop=256\n", 3, "out of range")]
    [InlineData(Hm + "call t0 cpu=0 ctx=task set_memory_ro addr=ram+0\n", 3, "out of range")]
    [InlineData(Hm + "call task1 cpu=0 ctx=task set_memory_ro addr=ram+0\n", 3, "task label")]
    [InlineData(Hm + "run\n", 3, "missing task label")]
    [InlineData(Hm + "run t1 stop=1\n", 3, "unknown key 'stop'")]
    // Events: static rules.
    [InlineData(Hm + "phase smp-init\n\nphase map-mem\n", 5, "out of order")]
    [InlineData(Hm + "phase early-param\n", 3, "out of order")]
    [InlineData(Hm + "step t3\n", 3, "undefined")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0\ncall t1 cpu=0 ctx=task set_memory_rw addr=ram+0\n", 4, "already defined")]
    [InlineData(Hm + "cpu-up t1 cpu=1\n", 3, "smp-init")]
    [InlineData(Hm + "phase smp-init\ncpu-down t1 cpu=1\n", 4, "finalize")]
    [InlineData(Hm + "phase smp-init\ncpu-up t1 cpu=0\n", 4, "out of range")]
    [InlineData(Hm + "call t1 cpu=1 ctx=task set_memory_ro addr=ram+0\n", 3, "before smp-init")]
    [InlineData(Hm + "phase smp-init\ncall t1 cpu=4 ctx=task set_memory_ro addr=ram+0\n", 4, "out of range")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0xffff8000 pages=16\n", 3, "outside RAM")]
    [InlineData(Hm + "call t1 cpu=0 ctx=atomic kfence_protect addr=ram+0\n", 3, "kfence")]
    [InlineData(H + "machine cpus=4 kfence=early\ncall t1 cpu=0 ctx=atomic kfence_protect addr=ram+0\n", 3, "outside the KFENCE pool")]
    [InlineData(H + "machine cpus=4 kfence=early\ncall t1 cpu=0 ctx=atomic kfence_protect addr=kfence+0 pages=2\n", 3, "one page")]
    [InlineData(H + "machine cpus=4 kfence=early\nphase finalize\ncall t1 cpu=0 ctx=task kfence_init_late\n", 4, "kfence=late")]
    [InlineData(H + "machine cpus=4 kfence=late\ncall t1 cpu=0 ctx=task kfence_init_late\n", 3, "finalize")]
    [InlineData(H + "machine cpus=4 kfence=late\nphase finalize\ncall t1 cpu=0 ctx=task kfence_init_late addr=ram+0\n", 4, "not allowed")]
    [InlineData(Hm + "phase runtime\ncall t1 cpu=0 ctx=atomic __kernel_map_pages addr=ram+0 enable=1\n", 4, "dpa=on")]
    [InlineData(H + "machine cpus=4 dpa=on\ncall t1 cpu=0 ctx=atomic __kernel_map_pages addr=ram+0\n", 3, "memblock-free-all")]
    [InlineData(Hm + "call t1 cpu=0 ctx=task set_direct_map_invalid_noflush addr=ram+0 pages=2\n", 3, "one page")]
    public void MalformedTrace_NamesTheLineAndTheCause(string text, int line, string word)
    {
        var e = Assert.Throws<TraceFormatException>(() => TraceParser.Parse(text));
        Assert.Equal(line, e.Line);
        Assert.Contains(word, e.Problem, StringComparison.Ordinal);
        Assert.Null(e.FileName);
        Assert.Equal($"line {line}: {e.Problem}", e.Message);
    }

    [Fact]
    public void Message_NamesTheFile()
    {
        var e = Assert.Throws<TraceFormatException>(() => TraceParser.Parse(Hm + "\nrun t9\n", "corpus/x.trace"));
        Assert.Equal("corpus/x.trace", e.FileName);
        Assert.Equal(4, e.Line);
        Assert.Equal("corpus/x.trace:4: task t9 is undefined", e.Message);
    }

    [Fact]
    public void TooManyEvents_IsRejectedOnTheFirstExtraLine()
    {
        var text = Hm + "call t1 cpu=0 ctx=task set_memory_ro addr=ram+0\n"
            + string.Concat(Enumerable.Repeat("step t1\n", EventProgram.MaxEvents));
        var e = Assert.Throws<TraceFormatException>(() => TraceParser.Parse(text));
        Assert.Equal(3 + EventProgram.MaxEvents, e.Line);
        Assert.Contains("too many events", e.Problem, StringComparison.Ordinal);
    }
}
