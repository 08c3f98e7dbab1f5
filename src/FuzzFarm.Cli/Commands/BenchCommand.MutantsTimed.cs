using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Engine;
using FuzzFarm.KernelC;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// (h) the timed mutation score, FuzzFarm vs AFL++: an evenly spaced sample of a version's machine-made mutants, each
/// fuzzed by both tools for the same seconds on one machine (the default campaign machine where the unmutated
/// version's guards take the most values, fewest root causes on ties), adversarial, every invariant. Killed: an input whose run breaks an invariant
/// on the mutant that the unmutated version's run of it does not (FuzzFarm: a finding's program or a corpus entry; AFL++: a saved
/// crash or a seed that crashed, decoded as the target decodes it).
/// </summary>
internal static partial class BenchCommand
{
    internal sealed record TimedKill(string Mutant, bool FuzzFarm, double FuzzFarmSeconds, bool? Afl, string Detail);

    internal static void RunTimedMutants(IReadOnlyList<SplitVariant> versions, int seconds, int sample, AflRunner? afl, Figures f, TextWriter log, CancellationToken stop)
    {
        foreach (var original in versions)
        {
            if (stop.IsCancellationRequested) break;
            var machine = ChooseMachine(original, log);
            var compiled = new List<(CMutants.Mutant Mutant, CVariant Version)>();
            foreach (var m in CMutants.Of(VersionSource.Shipped(original)))
            {
                try
                {
                    compiled.Add((m, CompileMutant(original, m)));
                }
                catch (KernelCException)
                {
                    // Refused by the front end: (f) counts those; (h) fuzzes only what compiles.
                }
            }

            var picked = sample == 0 || sample >= compiled.Count ? compiled
                : Enumerable.Range(0, sample).Select(i => compiled[i * compiled.Count / sample]).ToList();
            var spec = TraceWriter.FormatMachine(machine);
            log.WriteLine($"(h) timed mutation score of {original.Id}: {picked.Count} of its {compiled.Count} compiling mutants " +
                $"({string.Join(" ", picked.Select(p => p.Mutant.Name))}), {seconds} s each per tool on \"{spec}\", adversarial, every invariant");
            var kills = new List<TimedKill>();
            foreach (var (mutant, version) in picked)
            {
                if (stop.IsCancellationRequested) break;
                var (ffKilled, ffSeconds, what) = FuzzFarmKill(version, original, machine, seconds, stop);
                bool? aflKilled = null;
                if (afl is not null && !stop.IsCancellationRequested)
                {
                    var file = afl.WriteInput($"mutant-{original.Id}-{mutant.Name.Replace('@', '-')}.c", mutant.Text);
                    var outcome = afl.RunOnce(["--variant", original.Id, "--version-file", file, "--machine", spec, "--env", "adversarial",
                        "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--afl-seed", "1"], log);
                    aflKilled = outcome is not null && outcome.Crashes.Any(bytes => NewViolation(Decode(bytes, machine), version, original) is not null);
                }

                kills.Add(new TimedKill(mutant.Name, ffKilled, ffSeconds, aflKilled, what));
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {mutant.Name,-20} FuzzFarm {(ffKilled ? $"killed in {ffSeconds:0.###} s ({what})" : "survived"),-60} AFL++ {(aflKilled is null ? "-" : aflKilled.Value ? "killed" : "survived")}"));
            }

            var key = original.Id.Replace('-', '_');
            f[$"mutants_timed_{key}_machine"] = spec;
            f[$"mutants_timed_{key}_seconds"] = seconds;
            f[$"mutants_timed_{key}_sampled"] = kills.Count;
            f[$"mutants_timed_{key}_of"] = compiled.Count;
            f[$"mutants_timed_{key}_names"] = string.Join(" ", kills.Select(k => k.Mutant));
            f[$"mutants_timed_{key}_ff_killed"] = kills.Count(k => k.FuzzFarm);
            f[$"mutation_score_timed_{key}_ff"] = kills.Count == 0 ? null : Math.Round(kills.Count(k => k.FuzzFarm) / (double)kills.Count, 3);
            f[$"mutants_timed_{key}_afl_killed"] = afl is null ? null : kills.Count(k => k.Afl == true);
            f[$"mutation_score_timed_{key}_afl"] = afl is null || kills.Count == 0 ? null : Math.Round(kills.Count(k => k.Afl == true) / (double)kills.Count, 3);
        }
    }

    /// <summary>
    /// The default campaign machine (not the swarm) on which a short fuzz of the unmutated version reads the most
    /// distinct guard outcomes (so that a mutated guard can matter), and among those shows the fewest root causes (so
    /// that a mutant's new violation is not hidden among the original's).
    /// </summary>
    private static MachineConfig ChooseMachine(SplitVariant version, TextWriter log)
    {
        var rows = new List<(MachineConfig Machine, int Guards, int Findings)>();
        foreach (var spec in FarmCommands.DefaultMachines.Where(m => m != "swarm"))
        {
            var machine = TraceParser.ParseMachine(spec);
            var session = new FuzzSession(new FuzzOptions { Variant = version, Machine = machine, Env = EnvMode.Adversarial, Seed = 1 });
            while (session.Executions < 2_000) session.RunSlice(500);
            rows.Add((machine, session.Guards.ToDictionary().Count(kv => kv.Value > 0), session.Findings.Count));
        }

        log.WriteLine($"    {version.Id} in 2,000 adversarial execs per default machine, guard outcomes/root causes: {string.Join(", ", rows.Select(r => $"{r.Guards}/{r.Findings}"))}");
        return rows.OrderByDescending(r => r.Guards).ThenBy(r => r.Findings).First().Machine;
    }

    /// <summary>
    /// FuzzFarm on the mutant until a kill or the budget. Checked as AFL++'s saved crashes are: every finding's program
    /// and every corpus entry (an input that added coverage), since a finding is deduplicated by its first violation
    /// and so hides a later new one that the original lacks.
    /// </summary>
    private static (bool Killed, double Seconds, string What) FuzzFarmKill(SplitVariant mutant, SplitVariant original, MachineConfig machine, double seconds, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var entries = new EntryQueue();
        var session = new FuzzSession(new FuzzOptions { Variant = mutant, Machine = machine, Env = EnvMode.Adversarial, Seed = 1 }, entries);
        var seen = 0;
        while (clock.Elapsed.TotalSeconds < seconds && !stop.IsCancellationRequested)
        {
            session.RunSlice(100);
            for (; seen < session.Findings.Count; seen++)
            {
                if (NewViolation(session.Findings[seen].Program, mutant, original) is { } what) return (true, clock.Elapsed.TotalSeconds, what);
            }

            while (entries.Programs.TryDequeue(out var events))
            {
                if (NewViolation(new EventProgram(machine, events), mutant, original) is { } what) return (true, clock.Elapsed.TotalSeconds, what);
            }
        }

        return (false, seconds, "survived");
    }

    /// <summary>The session's new corpus entries, for the kill check between slices.</summary>
    private sealed class EntryQueue : IEngineListener
    {
        public Queue<MachineEvent[]> Programs { get; } = new();

        public void OnFinding(Finding finding)
        {
        }

        public void OnCorpusAdded(CorpusEntry entry) => Programs.Enqueue(entry.Events);
    }

    /// <summary>An AFL++ input as the target runs it: the first 16 KiB through the binary decoder on the machine.</summary>
    private static EventProgram Decode(byte[] bytes, MachineConfig machine)
    {
        var events = new MachineEvent[BinaryDecoder.MaxEvents];
        var n = BinaryDecoder.DecodeInto(bytes.AsSpan(0, Math.Min(bytes.Length, 16 << 10)), machine, events);
        return new EventProgram(machine, events.AsSpan(0, n).ToArray());
    }
}
