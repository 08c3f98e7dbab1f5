using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Model;

/// <summary>
/// How a CPU qualifies (MIDR part and revision, ID-register BBM level; per version) apart from what its hardware
/// does (bbml2-hw), and the trace keys that carry both.
/// </summary>
public sealed class CpuQualificationTests
{
    private static CpuSpec Cpu(CpuPart part, byte rev, byte bbm = 2, bool hw = true) => new(part, 0, rev, bbm, hw);

    [Theory]
    [InlineData("a166563", CpuPart.CortexX4, 3, true)]
    [InlineData("a166563", CpuPart.CortexX4, 2, false)]
    [InlineData("a166563", CpuPart.NeoverseV3, 1, false)]
    [InlineData("a166563", CpuPart.NeoverseV3AE, 2, false)]
    [InlineData("a166563", CpuPart.AmpereOne, 0, false)]
    [InlineData("ce2b3a5", CpuPart.NeoverseV3AE, 2, true)]
    [InlineData("ce2b3a5", CpuPart.NeoverseV3AE, 1, false)]
    [InlineData("ce2b3a5", CpuPart.AmpereOneA, 0, true)]
    [InlineData("ce2b3a5", CpuPart.NvidiaOlympus, 0, false)]
    [InlineData("realm-v2", CpuPart.NvidiaOlympus, 0, true)]
    [InlineData("bbml3", CpuPart.NvidiaOlympus, 0, true)]
    [InlineData("realm-v2", CpuPart.Other, 0, false)]
    public void MidrAllowList_PerVersion(string version, CpuPart part, byte revision, bool admitted) =>
        Assert.Equal(admitted, VariantCatalog.Get(version).CpuQualifiesBbml2NoAbort(Cpu(part, revision, bbm: 0)));

    [Fact]
    public void IdRegisterBbm3_AdmitsOnlyUnderBbml3()
    {
        var cpu = Cpu(CpuPart.Other, 0, bbm: 3, hw: false);
        Assert.True(VariantCatalog.Get("bbml3").CpuQualifiesBbml2NoAbort(cpu));
        Assert.All(VariantCatalog.All.Where(v => v.Id != "bbml3"), v => Assert.False(v.CpuQualifiesBbml2NoAbort(cpu), v.Id));
        Assert.False(VariantCatalog.Get("bbml3").CpuQualifiesBbml2NoAbort(Cpu(CpuPart.NeoverseV3, 1, bbm: 2)));
    }

    [Fact]
    public void RevisionOneCpus_KeepTheirMeaning_OnEveryVersion()
    {
        Assert.All(VariantCatalog.All, v =>
        {
            Assert.True(v.CpuQualifiesBbml2NoAbort(CpuSpec.WithBbml2(true)), v.Id);
            Assert.False(v.CpuQualifiesBbml2NoAbort(CpuSpec.WithBbml2(false)), v.Id);
        });
    }

    [Fact]
    public void MidrAndBbmKeys_RoundTrip_AndNeedRevision2()
    {
        const string text = "fuzzfarm-trace 2\n"
            + "machine cpus=3 bbml2=0,1 ram=4G rodata=on dpa=off kfence=off realm=off bringup=serial walker=leaf "
            + "midr=neoverse-v3ae:r0p2,ampereone:r1p0,other:r0p0 bbm=2,0,3 bbml2-hw=0,1\n";
        var program = TraceParser.Parse(text);
        Assert.Equal(CpuPart.NeoverseV3AE, program.Machine.Cpu(0).Part);
        Assert.Equal(1, program.Machine.Cpu(1).MidrVariant);
        Assert.Equal(3, program.Machine.Cpu(2).BbmLevel);
        Assert.False(program.Machine.Cpu(2).Bbml2Hardware);
        Assert.Equal(text, TraceWriter.Write(program));

        var error = Assert.Throws<TraceFormatException>(() => TraceParser.Parse(text.Replace("trace 2", "trace 1", StringComparison.Ordinal)));
        Assert.Contains("needs format revision 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bbml3Cpu_DefaultsToSafeHardware_AndBbml2MustAgreeWithMidr()
    {
        var m = TraceParser.ParseMachine("cpus=2 midr=other:r0p0 bbm=3");
        Assert.True(m.Cpu(1).Bbml2Hardware);
        Assert.False(m.Cpu(1).Bbml2Detected);
        Assert.Throws<TraceFormatException>(() => TraceParser.ParseMachine("cpus=1 bbml2=all midr=neoverse-v3:r0p1"));
    }

    [Fact]
    public void RevisionOneMachines_StillWriteRevisionOne()
    {
        var program = Corpus.Load("Z3");
        Assert.StartsWith("fuzzfarm-trace 1\n", TraceWriter.Write(program), StringComparison.Ordinal);
        Assert.Equal(MachineConfig.Uniform(2, true).ConfigHash, new MachineConfig([new CpuSpec(true, true), new CpuSpec(true, true)]).ConfigHash);
    }

    [Fact]
    public void AdmittedButAborting_ConflictsOnlyWhereAdmitted()
    {
        // The oracle judges by the hardware: the same machine and program, two verdicts by qualification alone.
        var program = Corpus.Load("bbml3-id-register");
        Assert.Contains(Corpus.Reported(program, VariantCatalog.Get("bbml3")), v => v.Invariant == Invariant.TlbConflict);
        Assert.DoesNotContain(Corpus.Reported(program, VariantCatalog.Get("realm-v2")), v => v.Invariant == Invariant.TlbConflict);
    }
}
