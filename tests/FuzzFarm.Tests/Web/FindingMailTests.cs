using FuzzFarm.Engine;
using FuzzFarm.Host.Web;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Web;

/// <summary>The mailing-list report: syzbot's shape, 80 columns, every version named by its commit or Message-ID.</summary>
public sealed class FindingMailTests
{
    [Fact]
    public void Z3Report_FitsEightyColumns_NamesEveryVersion_AndKeepsTheSyzbotShape()
    {
        var record = FindingMarkdownTests.Z3Record();
        var mail = FindingMail.Render(record);
        var lines = mail.Split('\n');

        Assert.All(lines, l => Assert.True(l.Length <= FindingMail.Width, $"{l.Length} columns: {l}"));
        Assert.StartsWith("TLB conflict abort in split_kernel_leaf_mapping", mail, StringComparison.Ordinal);
        foreach (var v in VariantCatalog.All)
        {
            Assert.Contains(v.Id, mail, StringComparison.Ordinal);
            var commit = v.Provenance.Split(' ', '<', '>')[0];
            Assert.Contains(commit, mail, StringComparison.Ordinal);
        }

        // The sections, in order.
        string[] order = ["key:", "Versions tested", "------------[ cut here ]------------", "Internal error: TLB conflict abort",
            "Call trace (the model's path):", "---[ end trace ]---", "Reproducer (", "Assumptions:", "Replay:", "-- \nFuzzFarm "];
        var at = order.Select(s => mail.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.All(at, i => Assert.True(i >= 0));
        Assert.Equal(at.Order(), at);

        // The verdict row: Z3's bring-up window shows on realm-v2, not on the trylock versions.
        Assert.Matches(@"D  realm-v2 +reproduces \(async-during-smp,no-known-caller\)", mail);
        Assert.Matches(@"E' realm-v2-trylock-held +not shown by this reproducer", mail);
        Assert.Contains("split_kernel_leaf_mapping\n", mail, StringComparison.Ordinal);
        Assert.Contains("async-during-smp: a permission change by a task other than smp_init's", mail, StringComparison.Ordinal);
    }

    [Fact]
    public void StrictWalkerWarning_IsAKernelWarningSplat_WithNoAssumptionsSection()
    {
        var program = Corpus.Load("Z1");
        var v = Corpus.Reported(program, VariantCatalog.Get("a166563")).First(x => x.Invariant == Invariant.WalkerWarn);
        var s = Signature.Of("a166563", v);
        var record = new FuzzFarm.Farm.FindingRecord
        {
            SignatureKey = s.Key, Title = s.Title, Variant = "a166563", Invariant = v.Id, Where = Points.Name(v.Where), Detail = v.Detail,
            Env = "strict", Assumptions = "none", SmallestEvents = 2,
            SmallestTrace = File.ReadAllText(Corpus.PathOf("Z1")).Replace("env strict", "variant a166563\nenv strict", StringComparison.Ordinal),
        };
        var mail = FindingMail.Render(record);
        Assert.Contains("WARNING: CPU: 0 PID: ", mail, StringComparison.Ordinal);
        Assert.Contains("at arch/arm64/mm/pageattr.c", mail, StringComparison.Ordinal);
        Assert.Contains("none (the kernel's own callers)", mail, StringComparison.Ordinal);
        Assert.DoesNotContain("Assumptions:", mail, StringComparison.Ordinal);
        Assert.Matches(@"B  ce2b3a5 +reproduces \(strict\)", mail);
        Assert.All(mail.Split('\n'), l => Assert.True(l.Length <= FindingMail.Width, l));
    }

    [Fact]
    public void Wrap_CutsAWordLongerThanALine()
    {
        var o = new System.Text.StringBuilder();
        FindingMail.Wrap(o, new string('x', 200), "  ", "    ");
        Assert.All(o.ToString().TrimEnd('\n').Split('\n'), l => Assert.InRange(l.Length, 1, FindingMail.Width));
        Assert.Equal(200, o.ToString().Count(c => c == 'x'));
    }
}
