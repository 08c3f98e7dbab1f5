using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Cli.Instrumentation;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Cli.Commands;

/// <summary>
/// <c>fuzzfarm bench [--json FILE]</c>: the engine's figures next to AFL++ on the same machine, in one run —
/// (a) fuzz-loop executions/s per core of 16-event programs on a 4-CPU machine with both observers on, (b) AFL++'s
/// execs/s on the same variant and machine and the ratio, (c) time to first finding of Z3's window on realm-v2
/// over N seeds for both, (d) the explorer's rate and the depth-8 proof on the 2-CPU Z3 machine.
/// </summary>
internal static partial class BenchCommand
{
    private const string FourCpus = "cpus=4 bbml2=0,1,2 ram=4G";
    private const string Z3Machine = "cpus=2 bbml2=0 ram=4G";
    private const string Z3Window = "in bring-up";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new JsonOut("the figures");
        var seconds = new Option<double>("--max-seconds", "--seconds") { Description = "Measurement time for (a)", DefaultValueFactory = _ => 10 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds for the time to first finding (c)", DefaultValueFactory = _ => 20 };
        var aflSeconds = new Option<int>("--afl-seconds") { Description = "AFL++ run for (b)", DefaultValueFactory = _ => 60 };
        var aflSeeds = new Option<int?>("--afl-seeds") { Description = "AFL++ runs for (c) (default: --seeds)" };
        var aflCap = new Option<int>("--afl-ttff-cap") { Description = "Longest AFL++ run per seed in (c), seconds", DefaultValueFactory = _ => 120 };
        var noAfl = new Option<bool>("--no-afl") { Description = "Skip AFL++ (its figures are null)" };
        var depth = new Option<int>("--depth") { Description = "Depth of the proof in (d)", DefaultValueFactory = _ => 8 };
        var prefixes = new Option<int>("--prefix-snapshots") { Description = "Prefix snapshots per machine in the fuzz loop (0, the default: every run from the reset; measured slower here)" };
        var mutants = new Option<string?>("--mutants") { Description = "Only (f): the mutation score of these versions' C texts (comma-separated ids), FuzzFarm's column; with AFL++ also (h), both tools on a time budget (with --bugs: (h)'s versions, default realm-v2)" };
        var mutantExecs = new Option<long>("--mutant-execs") { Description = "(f): executions per mutant on each default campaign machine", DefaultValueFactory = _ => 5_000 };
        var partial = new Option<string?>("--partial") { Description = "(internal) the instrumented half writes (a)-(c) here", Hidden = true };
        var bugs = new BugOptions();
        var command = new Command("bench", "Benchmark the engine against AFL++ (prints a table; --json gives the figures)")
        {
            seconds, seeds, aflSeconds, aflSeeds, aflCap, noAfl, depth, prefixes, mutants, mutantExecs, partial,
        };
        foreach (var o in json.All) command.Options.Add(o);
        foreach (var o in bugs.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var text = json.Text(parse, stdout, stderr);
            if (parse.GetValue(seconds) is <= 0 or > 3600) throw new UsageException("--max-seconds must be in (0, 3600]");
            if (parse.GetValue(seeds) is < 1 or > 1000) throw new UsageException("--seeds must be 1..1000");
            if (parse.GetValue(aflSeconds) is < 5 or > 86400) throw new UsageException("--afl-seconds must be 5..86400");
            if (parse.GetValue(aflSeeds) is < 1 or > 1000) throw new UsageException("--afl-seeds must be 1..1000");
            if (parse.GetValue(aflCap) is < 5 or > 86400) throw new UsageException("--afl-ttff-cap must be 5..86400");
            if (parse.GetValue(depth) is < 1 or > 16) throw new UsageException("--depth must be 1..16");
            if (parse.GetValue(prefixes) is < 0 or > 4096) throw new UsageException("--prefix-snapshots must be 0..4096");
            using var stop = StopSignal.Listen(stderr, "skipping what is left and printing the figures measured so far");
            if (parse.GetValue(bugs.Bugs)) return RunBugsCommand(parse, bugs, mutants, noAfl, partial, json, stdout, text, stderr, stop.Token);
            var settings = new Settings(parse.GetValue(seconds), parse.GetValue(seeds), parse.GetValue(aflSeconds),
                parse.GetValue(aflSeeds) ?? parse.GetValue(seeds), parse.GetValue(aflCap), !parse.GetValue(noAfl), parse.GetValue(depth), parse.GetValue(prefixes), stop.Token);
            if (parse.GetValue(mutants) is { } ids)
            {
                var list = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(id => VariantCatalog.TryGet(id, out var v) ? v
                    : throw new UsageException($"--mutants: unknown version '{id}' (known: {string.Join(", ", VariantCatalog.Ids)})")).ToList();
                if (list.Count == 0) throw new UsageException("--mutants names no version");
                if (parse.GetValue(mutantExecs) < 1) throw new UsageException("--mutant-execs must be positive");
                var mf = new Figures();
                RunMutants(settings, list, parse.GetValue(mutantExecs), mf, text);
                if (settings.Afl && parse.GetValue(bugs.MutantSeconds) > 0 && AflRunner.Locate(out _) is { } afl)
                    RunTimedMutants(list, parse.GetValue(bugs.MutantSeconds), parse.GetValue(bugs.MutantSample), afl, mf, text, stop.Token);
                if (!json.ToStdout(parse)) WriteTable(stdout, mf);
                json.Emit(parse, stdout, Json(mf));
                return ExitCodes.Clean;
            }

            if (parse.GetValue(partial) is { } partialPath)
            {
                // The instrumented half: (a)-(c) with SharpFuzz edges, figures to a file for the other half.
                File.WriteAllText(partialPath, Json(RunFuzzing(settings, text)));
                return ExitCodes.Clean;
            }

            // (a)-(c) run against the instrumented Model and Variants (both observers on). (d) runs here, on the
            // plain assemblies: the explorer's worker threads would otherwise fight over SharpFuzz's global
            // counters, and exhaustive search does not use edge coverage.
            Figures figures;
            var tmp = Path.Combine(Path.GetTempPath(), $"fuzzfarm-bench-{Environment.ProcessId}.json");
            var code = InstrumentedContext.TryRun([.. parse.Tokens.Select(t => t.Value), "--partial", tmp], text, stderr, out var why);
            if (code is not null && File.Exists(tmp))
            {
                figures = Figures.FromJson(File.ReadAllText(tmp));
                File.Delete(tmp);
            }
            else
            {
                stderr.WriteLine($"fuzzfarm: {why ?? "the instrumented half failed"}; measuring without edge coverage");
                figures = RunFuzzing(settings, text);
            }

            RunExplore(settings, figures, text);
            if (!json.ToStdout(parse)) WriteTable(stdout, figures);
            json.Emit(parse, stdout, Json(figures));
            return ExitCodes.Clean;
        });
        return command;
    }

    private sealed record Settings(double Seconds, int Seeds, int AflSeconds, int AflSeeds, int AflCap, bool Afl, int Depth, int PrefixSnapshots, CancellationToken Stop = default)
    {
        public bool Stopped => Stop.IsCancellationRequested;
    }

    private static Figures RunFuzzing(Settings s, TextWriter log)
    {
        var f = new Figures();
        using var edges = InstrumentedContext.Active ? EdgeCoverageObserver.TryAcquire(Instrumenter.MapSize) : null;
        f["edges_instrumented"] = edges is not null;
        f["edge_policy"] = edges is null ? null : Instrumenter.PolicyName;
        f["cpus"] = Environment.ProcessorCount;
        f["machine_a"] = FourCpus;
        f["machine_z3"] = Z3Machine;

        // (a) the fuzz loop (scheduler, havoc, repair, execution, both observers, feedback, objective).
        log.WriteLine($"(a) fuzz loop: realm-v2, {FourCpus}, adversarial, 16-event programs, edges {(edges is null ? "off" : "on")}, {s.Seconds:F0}s");
        var session = new FuzzSession(new FuzzOptions
        {
            Variant = VariantCatalog.Get("realm-v2"), Machine = TraceParser.ParseMachine(FourCpus), Env = EnvMode.Adversarial,
            Seed = 1, MaxEvents = 16, PrefixSnapshots = s.PrefixSnapshots,
        }, null, edges);
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < Math.Min(2, s.Seconds / 2) && !s.Stopped) session.RunSlice(1000);
        var e0 = session.Executions;
        var (h0, k0, n0, s0) = (session.PrefixHits, session.PrefixEventsSkipped, session.Events, session.SkippedEvents);
        var a0 = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        do session.RunSlice(1000);
        while (clock.Elapsed.TotalSeconds < s.Seconds && !s.Stopped);
        var execs = session.Executions - e0;
        var rate = execs / clock.Elapsed.TotalSeconds;
        f["execs_per_sec_per_core"] = Math.Round(rate);
        f["mean_program_events_a"] = Math.Round((session.Events - n0) / (double)execs, 2);
        f["skipped_event_share_a"] = Math.Round((session.SkippedEvents - s0) / (double)Math.Max(1, session.Events - n0), 3);
        f["alloc_bytes_per_exec"] = Math.Round((GC.GetAllocatedBytesForCurrentThread() - a0) / (double)execs, 2);
        f["prefix_snapshots"] = s.PrefixSnapshots;
        f["prefix_hit_rate"] = Math.Round((session.PrefixHits - h0) / (double)execs, 3);
        f["prefix_events_spared"] = Math.Round((session.PrefixEventsSkipped - k0) / (double)Math.Max(1, session.Events - n0), 3);
        f["prefix_snapshot_bytes"] = session.PrefixBytes;
        f["corpus_a"] = session.CorpusCount;
        f["edges_a"] = session.Edges;
        f["features_a"] = session.Features;

        if (s.Stopped) return Interrupted(f);

        // (a, split) the executor alone on the corpus the loop built (programs like the loop's mutants): what is left
        // of the loop's time per execution is the mutation + feedback overhead (scheduling, havoc, repair, feedback).
        var corpus = Enumerable.Range(0, session.CorpusCount).Select(i => session.Corpus[i].Events).ToArray();
        var (corpusRate, _, corpusEvents, _) = ExecutorRate(edges, s.Seconds / 2, programs: corpus);
        f["executor_corpus_execs_per_sec"] = Math.Round(corpusRate);
        f["executor_corpus_mean_program_events"] = Math.Round(corpusEvents, 2);
        f["mutation_feedback_share"] = Math.Round(Math.Max(0, 1 - (rate / corpusRate)), 3);

        if (s.Stopped) return Interrupted(f);

        // (a') the executor alone on decoded 16-event programs (no mutation, no feedback): the machine's ceiling.
        var (executorRate, executorAlloc, executorEvents, executorSkipped) = ExecutorRate(edges, s.Seconds / 2);
        f["executor_execs_per_sec"] = Math.Round(executorRate);
        f["executor_mean_program_events"] = Math.Round(executorEvents, 2);
        f["executor_skipped_event_share"] = Math.Round(executorSkipped, 3);
        f["executor_alloc_bytes_per_exec"] = Math.Round(executorAlloc, 2);

        if (s.Stopped) return Interrupted(f);

        // (b) AFL++ on the same variant and machine.
        string? why = "--no-afl";
        var afl = s.Afl ? AflRunner.Locate(out why) : null;
        f["afl_reason"] = why;
        if (afl is not null)
        {
            log.WriteLine($"(b) AFL++: realm-v2, {FourCpus}, adversarial, {s.AflSeconds}s");
            var stats = afl.Run(["--variant", "realm-v2", "--machine", FourCpus, "--env", "adversarial", "--seconds", s.AflSeconds.ToString(CultureInfo.InvariantCulture), "--no-import"], "b", log);
            if (stats?.GetValueOrDefault("execs_per_sec") is { } eps && double.TryParse(eps, CultureInfo.InvariantCulture, out var aflRate))
            {
                f["afl_execs_per_sec"] = Math.Round(aflRate, 1);
                f["ratio_vs_afl"] = Math.Round(rate / aflRate, 1);
            }
            else f["afl_reason"] = "afl-fuzz wrote no execs_per_sec (see the log above)";
        }

        if (s.Stopped) return Interrupted(f);

        // (c) time to first finding of Z3's window (tlb-conflict, a secondary in bring-up) on realm-v2.
        log.WriteLine($"(c) time to first Z3-window finding, realm-v2, {Z3Machine}, adversarial, seeds 1..{s.Seeds}");
        var ttff = new List<double>();
        var ttffExecs = new List<long>();
        for (var seed = 1; seed <= s.Seeds && !s.Stopped; seed++)
        {
            var sw = Stopwatch.StartNew();
            var z3 = new FuzzSession(new FuzzOptions
            {
                Variant = VariantCatalog.Get("realm-v2"), Machine = TraceParser.ParseMachine(Z3Machine), Env = EnvMode.Adversarial,
                Seed = (ulong)seed, Invariants = [Invariant.TlbConflict], DetailContains = Z3Window,
            }, null, edges);
            while (z3.Findings.Count == 0 && sw.Elapsed.TotalSeconds < 60 && !s.Stopped) z3.RunSlice(50);
            if (z3.Findings.Count == 0 && s.Stopped) break;
            ttff.Add(z3.Findings.Count > 0 ? sw.Elapsed.TotalSeconds : double.PositiveInfinity);
            ttffExecs.Add(z3.Findings.Count > 0 ? z3.Findings[0].FoundAtExecution : -1);
        }

        if (ttff.Count == 0) return Interrupted(f);
        f["ttff_z3_median_s"] = Round(Median(ttff));
        f["ttff_z3_max_s"] = Round(ttff.Max());
        f["ttff_z3_median_execs"] = Median(ttffExecs.Select(x => (double)x).ToList());
        f["ttff_z3_found"] = ttff.Count(double.IsFinite);
        if (afl is not null && !s.Stopped)
        {
            var aflTtff = new List<double>();
            for (var seed = 1; seed <= s.AflSeeds; seed++)
            {
                var t = afl.TimeToFirstCrash(["--variant", "realm-v2", "--machine", Z3Machine, "--env", "adversarial", "--invariant", "tlb-conflict",
                    "--detail", Z3Window, "--until-crash", "--afl-seed", seed.ToString(CultureInfo.InvariantCulture),
                    "--seconds", s.AflCap.ToString(CultureInfo.InvariantCulture), "--no-import"], log);
                aflTtff.Add(t ?? double.PositiveInfinity);
                log.WriteLine($"    AFL++ seed {seed}: {(t is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) + "s" : $"none within {s.AflCap}s")}");
            }

            f["afl_ttff_z3_median_s"] = Round(Median(aflTtff));
            f["afl_ttff_z3_max_s"] = Round(aflTtff.Max());
            f["afl_ttff_z3_found"] = aflTtff.Count(double.IsFinite);
            f["afl_ttff_z3_runs"] = aflTtff.Count;
        }

        return f;
    }

    private static Figures Interrupted(Figures f)
    {
        f["interrupted"] = true;
        return f;
    }

    /// <summary>(d) exhaustive exploration: the depth-k proof on the 2-CPU Z3 machine for realm-v2-trylock-held.</summary>
    private static void RunExplore(Settings s, Figures f, TextWriter log)
    {
        if (s.Stopped)
        {
            Interrupted(f);
            return;
        }

        log.WriteLine($"(a'') fuzz loop without SharpFuzz instrumentation (model-state features only), {s.Seconds / 2:F0}s");
        // (a'') the same loop on the plain assemblies, model-state coverage only: what SharpFuzz edges cost.
        var plain = new FuzzSession(new FuzzOptions
        {
            Variant = VariantCatalog.Get("realm-v2"), Machine = TraceParser.ParseMachine(FourCpus), Env = EnvMode.Adversarial,
            Seed = 1, MaxEvents = 16,
        });
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < Math.Min(2, s.Seconds / 2) && !s.Stopped) plain.RunSlice(1000);
        var p0 = plain.Executions;
        var clock = Stopwatch.StartNew();
        do plain.RunSlice(1000);
        while (clock.Elapsed.TotalSeconds < s.Seconds / 2 && !s.Stopped);
        f["execs_per_sec_features_only"] = Math.Round((plain.Executions - p0) / clock.Elapsed.TotalSeconds);
        if (s.Stopped)
        {
            Interrupted(f);
            return;
        }

        if (!RunCText(s, f, log))
        {
            Interrupted(f);
            return;
        }

        log.WriteLine($"(d) explore realm-v2-trylock-held, {Z3Machine}, adversarial, tlb-conflict, depth {s.Depth}");
        var explore = Stopwatch.StartNew();
        ExploreResult result;
        try
        {
            result = new Explorer(new ExploreOptions
            {
                Variant = VariantCatalog.Get("realm-v2-trylock-held"), Machine = TraceParser.ParseMachine(Z3Machine), Env = EnvMode.Adversarial,
                Depth = s.Depth, Invariants = [Invariant.TlbConflict],
            }).Run((_, _) => s.Stop.ThrowIfCancellationRequested());
        }
        catch (OperationCanceledException) when (s.Stopped)
        {
            Interrupted(f);
            return;
        }

        var exploreSeconds = explore.Elapsed.TotalSeconds;
        f["explore_states_per_sec"] = Math.Round(result.States / exploreSeconds);
        f["explore_executions_per_sec"] = Math.Round(result.Executions / exploreSeconds);
        f["explore_depth8_2cpu_s"] = s.Depth == 8 ? Math.Round(exploreSeconds, 2) : null;
        if (s.Depth != 8) f[$"explore_depth{s.Depth}_2cpu_s"] = Math.Round(exploreSeconds, 2);
        f["explore_states"] = result.States;
        f["explore_proved"] = result.Proved;
        f["explore_workers"] = Math.Max(1, Environment.ProcessorCount);
    }

    /// <summary>Executions/s and bytes allocated per execution of the executor alone.</summary>
    private static (double Rate, double AllocPerExec, double MeanEvents, double SkippedShare) ExecutorRate(EdgeCoverageObserver? edges, double seconds, SplitVariant? variant = null, MachineEvent[][]? programs = null)
    {
        variant ??= VariantCatalog.Get("realm-v2");
        var machine = TraceParser.ParseMachine(FourCpus);
        var features = new ModelStateObserver();
        var objective = new ViolationObjective(EnvMode.Adversarial);
        var executor = edges is null
            ? new MachineExecutor(new Machine(machine, variant), objective, features)
            : new MachineExecutor(new Machine(machine, variant), objective, features, edges);
        var rng = new Prng(7);
        Span<byte> bytes = stackalloc byte[160];
        var buffer = new MachineEvent[16];
        if (programs is null)
        {
            programs = new MachineEvent[256][];
            for (var i = 0; i < programs.Length; i++)
            {
                for (var j = 0; j < bytes.Length; j++) bytes[j] = rng.NextByte();
                programs[i] = buffer[..BinaryDecoder.DecodeInto(bytes, machine, buffer)];
            }
        }

        long events = 0, skipped = 0;
        foreach (var p in programs)
        {
            executor.Run(p);
            events += p.Length;
            skipped += executor.Machine.Kernel.SkippedEvents;
        }

        for (var i = 0; i < 20_000; i++) executor.Run(programs[i % programs.Length]);
        var a0 = GC.GetAllocatedBytesForCurrentThread();
        var n = 0L;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            for (var i = 0; i < 1000; i++) executor.Run(programs[(n + i) % programs.Length]);
            n += 1000;
        }

        return (n / sw.Elapsed.TotalSeconds, (GC.GetAllocatedBytesForCurrentThread() - a0) / (double)n,
            events / (double)programs.Length, skipped / (double)Math.Max(1, events));
    }

    private static double Median(List<double> xs)
    {
        var sorted = xs.Order().ToList();
        if (sorted.Count == 0) return double.NaN;
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double? Round(double x) => double.IsFinite(x) ? Math.Round(x, 4) : null;
}
