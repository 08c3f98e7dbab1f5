using System.Globalization;
using FuzzFarm.Engine;
using FuzzFarm.KernelC;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// (f) the mutation score: machine-made mutants of a shipped version's C text (<see cref="CMutants"/>), each fuzzed
/// on the default campaign's machines with a fixed budget in executions. A mutant is killed when one of its findings'
/// programs breaks an invariant on it that the unmutated version's run of the same program does not. Deterministic:
/// seeds and budgets in executions, no clock.
/// </summary>
internal static partial class BenchCommand
{
    internal sealed record MutantResult(string Name, bool Compiled, bool Killed, long Executions, string Detail);

    internal static List<MutantResult> MutationScore(SplitVariant original, IReadOnlyList<MachineConfig> machines, long execsPerMachine, CancellationToken stop)
    {
        var mutants = CMutants.Of(VersionSource.Shipped(original));
        var results = new MutantResult[mutants.Count];
        Parallel.For(0, mutants.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var m = mutants[i];
            CVariant version;
            try
            {
                version = CompileMutant(original, m);
            }
            catch (KernelCException e)
            {
                results[i] = new MutantResult(m.Name, false, false, 0, e.Message);
                return;
            }

            long executions = 0;
            foreach (var machine in machines)
            {
                if (stop.IsCancellationRequested) break;
                var session = new FuzzSession(new FuzzOptions { Variant = version, Machine = machine, Env = EnvMode.Adversarial, Seed = 1 });
                var seen = 0;
                while (session.Executions < execsPerMachine && !stop.IsCancellationRequested)
                {
                    session.RunSlice((int)Math.Min(500, execsPerMachine - session.Executions));
                    for (; seen < session.Findings.Count; seen++)
                    {
                        var f = session.Findings[seen];
                        if (NewViolation(f.Program, version, original) is not { } what) continue;
                        results[i] = new MutantResult(m.Name, true, true, executions + f.FoundAtExecution, $"{what} (finding {f.Signature.Key})");
                        return;
                    }
                }

                executions += session.Executions;
            }

            results[i] = new MutantResult(m.Name, true, false, executions, stop.IsCancellationRequested ? "interrupted" : "survived");
        });
        return [.. results];
    }

    /// <summary>A machine-made mutant of <paramref name="original"/>'s C text, compiled on it (throws <see cref="KernelCException"/> when refused).</summary>
    private static CVariant CompileMutant(SplitVariant original, CMutants.Mutant m) =>
        CVariant.Compile($"c/{original.Id}.c ({m.Name})", m.Text, "mutant", original);

    /// <summary>
    /// An invariant the mutant's run of <paramref name="program"/> breaks and the original's run of it does not (a
    /// refusal whose WARN stays but whose return changed shows up here, not in the root cause), or null.
    /// </summary>
    private static string? NewViolation(EventProgram program, SplitVariant mutant, SplitVariant original)
    {
        static HashSet<Invariant> Broken(EventProgram p, SplitVariant v)
        {
            var m = new Machine(p.Machine, v);
            m.Run(p.Events.AsSpan());
            return m.Violations.ToArray().Select(x => x.Invariant).ToHashSet();
        }

        var extra = Broken(program, mutant);
        extra.ExceptWith(Broken(program, original));
        return extra.Count == 0 ? null : string.Join(",", extra.Select(Invariants.Id).Order(StringComparer.Ordinal));
    }

    private static void RunMutants(Settings s, IReadOnlyList<SplitVariant> versions, long execsPerMachine, Figures f, TextWriter log)
    {
        var machines = FarmCommands.DefaultMachines.Where(m => m != "swarm").Select(m => TraceParser.ParseMachine(m)).ToList();
        log.WriteLine($"(f) mutation score: machine-made mutants of the C texts of {string.Join(", ", versions.Select(v => v.Id))}; " +
            $"{execsPerMachine:N0} execs on each of the {machines.Count} default campaign machines, adversarial; killed: a finding whose program breaks an " +
            "invariant on the mutant that the unmutated version's run of it does not");
        foreach (var v in versions)
        {
            var results = MutationScore(v, machines, execsPerMachine, s.Stop);
            foreach (var r in results)
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {v.Id,-22} {r.Name,-20} {(r.Compiled ? r.Killed ? "killed" : "survived" : "refused"),-9} {r.Executions,10:N0}  {r.Detail}"));
            }

            var compiled = results.Count(r => r.Compiled);
            var killed = results.Where(r => r.Killed).ToList();
            f[$"mutants_{v.Id}"] = results.Count;
            f[$"mutants_compiled_{v.Id}"] = compiled;
            f[$"mutants_killed_{v.Id}"] = killed.Count;
            f[$"mutation_score_{v.Id}"] = compiled == 0 ? null : Math.Round(killed.Count / (double)compiled, 3);
            f[$"mutants_median_execs_to_kill_{v.Id}"] = killed.Count == 0 ? null : Median(killed.Select(r => (double)r.Executions).ToList());
        }
    }
}
