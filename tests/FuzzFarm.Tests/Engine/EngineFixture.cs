using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Tests.Engine;

/// <summary>Shared builders for the engine tests: the Z3 machine, the corpus stories and their signatures.</summary>
internal static class E
{
    public static MachineConfig Z3Machine { get; } = TraceParser.ParseMachine("cpus=2 bbml2=0 ram=4G");

    public static MachineConfig FourCpus { get; } = TraceParser.ParseMachine("cpus=4 bbml2=0,1,2");

    /// <summary>A machine with every optional operation (KFENCE late, debug_pagealloc, realm) for the mutators.</summary>
    public static MachineConfig Rich { get; } = TraceParser.ParseMachine("cpus=4 bbml2=0,2 ram=4G kfence=late dpa=on realm=on");

    /// <summary>Z3's address (1 GiB + 2 MiB + 4 KiB) as a page index.</summary>
    public const uint Z3Page = 0x4020_1000 / 4096;

    public static SplitVariant V(string id) => VariantCatalog.Get(id);

    public static MachineEvent[] Events(string corpusName) => [.. Corpus.Load(corpusName).Events];

    /// <summary>Parses trace event lines on a machine (header added here).</summary>
    public static MachineEvent[] Parse(MachineConfig machine, params string[] lines) =>
        [.. TraceParser.Parse($"fuzzfarm-trace 1\nmachine {TraceWriter.FormatMachine(machine)}\n{string.Join('\n', lines)}\n").Events];

    public static Violation[] Run(MachineConfig machine, SplitVariant variant, ReadOnlySpan<MachineEvent> events)
    {
        var m = new Machine(machine, variant);
        m.Run(events);
        return m.Violations.ToArray();
    }

    /// <summary>Z3's first tlb-conflict on realm-v2 (split_pud, "a secondary ... in bring-up").</summary>
    public static Signature Z3Signature
    {
        get
        {
            var v = Run(Z3Machine, V("realm-v2"), Events("Z3")).First(x => x.Invariant == Invariant.TlbConflict);
            return Signature.Of("realm-v2", v);
        }
    }

    public static bool Shows(MachineConfig machine, SplitVariant variant, ReadOnlySpan<MachineEvent> events, Signature signature, EnvMode env = EnvMode.Adversarial) =>
        Run(machine, variant, events).Any(v => v.ReportedIn(env) && signature.Matches(v));

    public static string Text(MachineConfig machine, IEnumerable<MachineEvent> events) =>
        string.Join(" | ", events.Select(e => TraceWriter.FormatEvent(e, machine)));
}
