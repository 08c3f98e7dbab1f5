using System.Reflection;
using System.Text;
using FuzzFarm.Engine;
using FuzzFarm.Farm;
using FuzzFarm.Language;
using FuzzFarm.Model;
using FuzzFarm.Variants;

namespace FuzzFarm.Host.Web;

/// <summary>
/// A finding as plain text for a kernel mailing list, shaped like a syzbot report and no wider than 80 columns:
/// title, key and kind; every shipped version with its commit or Message-ID and whether the reproducer shows the root
/// cause there; a kernel-style splat with the call path the model ran; the minimized trace; what each assumption
/// means; the replay command; FuzzFarm's version. Pure (a few model runs of a small program; no I/O).
/// </summary>
public static class FindingMail
{
    public const int Width = 80;

    private static readonly Dictionary<string, string> _assumptionMeaning = new(StringComparer.Ordinal)
    {
        ["async-during-smp"] = "a permission change by a task other than smp_init's while it brings CPUs up",
        ["early-caller"] = "a split requested in a boot phase where only later phases have such a caller",
        ["atomic-caller"] = "the call from atomic context, where the kernel's callers make it from task context",
        ["late-hotplug"] = "a CPU brought up or down after FINALIZE",
        ["preempted-call"] = "another call runs while one is parked at a sleeping point",
        ["unchecked-caller"] = "a range no kernel caller passes (kernel alias, a range straddling the KFENCE pool)",
        ["no-known-caller"] = "a call no kernel caller makes in this boot phase and context (caller catalog)",
    };

    public static string Render(FindingRecord record) => Render(FindingAnalysis.Of(record));

    public static string Render(FindingAnalysis a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var r = a.Record;
        var o = new StringBuilder();
        Wrap(o, r.Title, "");
        o.Append('\n');
        Field(o, "key", r.SignatureKey);
        Field(o, "invariant", r.Invariant + (Invariants.TryParse(r.Invariant, out var inv) ? $" ({(Invariants.Kind(inv) == FindingKind.Bug ? "bug" : "warning")})" : ""));
        var assumptions = r.Assumptions is "" or "none" ? "none (the kernel's own callers)" : r.Assumptions;
        Field(o, "environment", $"{a.EnvName}; assumptions: {assumptions}");
        Field(o, "callers", r.Callers.Count > 0 ? string.Join(", ", r.Callers) : "none from the catalog");
        if (r.Hits > 0) Field(o, "seen", $"{r.Hits:N0} hit(s) on {r.Machines.Count} machine grain(s), first {r.FirstSeen:yyyy-MM-dd HH:mm}Z");
        o.Append('\n');

        Versions(o, a);
        Splat(o, a);

        o.Append($"Reproducer ({r.SmallestEvents} event(s), minimized):\n\n");
        foreach (var line in r.SmallestTrace.Replace("\r", "", StringComparison.Ordinal).TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith('#')) continue; // the header comments repeat what this mail says
            Wrap(o, line, "  ", "      ");
        }

        o.Append('\n');
        Wrap(o, "(a folded line continues on the next, indented; the .trace file has it on one line)", "");
        o.Append('\n');
        var names = r.Assumptions is "" or "none" ? [] : r.Assumptions.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length > 0)
        {
            o.Append("Assumptions:\n");
            foreach (var n in names) Wrap(o, $"{n}: {_assumptionMeaning.GetValueOrDefault(n, "see the README")}", "  ", "    ");
            o.Append('\n');
        }

        var file = FindingFile.Name(r.SignatureKey) + ".trace";
        o.Append("Replay:\n\n");
        Wrap(o, $"fuzzfarm replay {file} --variant {(r.Variant.Length > 0 ? r.Variant : "all")} --env {a.EnvName}", "  ", "    ");
        Wrap(o, $"fuzzfarm verdicts {file}", "  ", "    ");
        o.Append("\n-- \n");
        Wrap(o, $"FuzzFarm {Version()}: fuzzing and bounded exploration of split_kernel_leaf_mapping() versions on a deterministic arm64 model.", "");
        return o.ToString();
    }

    /// <summary>Every shipped version: letter, id, where it comes from, and what the reproducer does there.</summary>
    private static void Versions(StringBuilder o, FindingAnalysis a)
    {
        o.Append("Versions tested (the reproducer replayed on each):\n\n");
        Signature? cause = null;
        if (a.Program is { } p && VariantCatalog.TryGet(a.Record.Variant, out var own)) cause = Verdicts.RootCauseOf(p, own);
        foreach (var v in VariantCatalog.All)
        {
            var verdict = "not replayed";
            if (a.Program is { } program && cause is { } c)
            {
                var cell = Verdicts.Cell(program, c, v, new VerdictBudget { Executions = 0, Depth = 0 });
                verdict = cell.Shows ? $"reproduces ({(cell.Assumptions == Assumptions.None ? "strict" : AssumptionNames.Format(cell.Assumptions))})" : "not shown by this reproducer";
            }

            var letter = v.Letter.Length > 0 ? v.Letter : "-";
            o.Append($"  {letter,-2} {v.Id,-22} {verdict}\n");
            Wrap(o, v.Provenance, "       ", "       ");
        }

        o.Append('\n');
    }

    /// <summary>The kernel's own words for the violation, with the call path the model ran.</summary>
    private static void Splat(StringBuilder o, FindingAnalysis a)
    {
        var v = a.Replay?.Reported.FirstOrDefault(a.IsFinding);
        if (v is not { } violation)
        {
            if (a.Problem is { } problem) Wrap(o, $"(no splat: {problem})", "");
            o.Append('\n');
            return;
        }

        var cpu = violation.Cpu;
        var pid = violation.TaskLabel == 0 ? 1 : 100 + violation.TaskLabel;
        var where = Points.Name(violation.Where);
        o.Append("------------[ cut here ]------------\n");
        var head = violation.Invariant switch
        {
            Invariant.WalkerWarn => $"WARNING: CPU: {cpu} PID: {pid} at arch/arm64/mm/pageattr.c {violation.Detail}",
            Invariant.SplitWarn => $"WARNING: CPU: {cpu} PID: {pid} at arch/arm64/mm/mmu.c split_kernel_leaf_mapping (WARN_ON({violation.Detail}))",
            Invariant.SleepInAtomic => $"BUG: sleeping function called from invalid context at {(violation.Where == Point.MutexLock ? "kernel/locking/mutex.c" : "mm/page_alloc.c")}",
            Invariant.TlbConflict => $"Internal error: TLB conflict abort: 0000000096000030 [#1] SMP (CPU {cpu})",
            _ => $"FuzzFarm: {Invariants.Title(violation.Invariant)} on CPU {cpu}",
        };
        Wrap(o, head, "", "  ");
        if (violation.Invariant == Invariant.SleepInAtomic)
            o.Append($"in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: {pid}, name: t{violation.TaskLabel}\n");
        Wrap(o, $"detail: {violation.Detail}", "", "  ");
        o.Append("Call trace (the model's path):\n");
        foreach (var frame in CallPath(a, violation, where)) o.Append("  ").Append(frame).Append('\n');
        o.Append("---[ end trace ]---\n\n");
    }

    private static IEnumerable<string> CallPath(FindingAnalysis a, Violation v, string where)
    {
        var frames = new List<string> { where };
        var ev = a.Program?.Events.FirstOrDefault(e => e.Kind == EventKind.Call && e.Task == v.TaskLabel && v.TaskLabel != 0);
        if (ev is { } call && call.Kind == EventKind.Call)
        {
            if (where is not ("split_kernel_leaf_mapping" or "oracle" or "walk")) frames.Add("split_kernel_leaf_mapping");
            frames.AddRange(call.Op switch
            {
                CallOp.SetMemoryRo or CallOp.SetMemoryRw or CallOp.SetMemoryX or CallOp.SetMemoryNx =>
                    ["__change_memory_common", "change_memory_common", TraceNames.Op(call.Op)],
                CallOp.SetMemoryDecrypted or CallOp.SetMemoryEncrypted => ["__change_memory_common", "__set_memory_enc_dec", TraceNames.Op(call.Op)],
                CallOp.KernelMapPages => ["__change_memory_common", "set_memory_valid", "__kernel_map_pages"],
                CallOp.KfenceProtect or CallOp.KfenceUnprotect => ["__change_memory_common", "set_memory_valid", "kfence_protect_page"],
                CallOp.KfenceInitLate => ["__change_memory_common", "set_memory_valid", "kfence_init_pool", "kfence_init_late"],
                CallOp.GmemFolioZapDirectMap => ["update_range_prot", "set_direct_map_invalid_noflush", "kvm_gmem_folio_zap_direct_map"],
                CallOp.GmemFolioRestoreDirectMap =>
                    ["__change_memory_common", "set_memory_valid", "set_direct_map_valid_noflush", "kvm_gmem_folio_restore_direct_map"],
                CallOp.ArchAddMemory => ["__create_pgd_mapping", "arch_add_memory", "add_memory"],
                _ => ["__change_memory_common", "set_memory_valid", TraceNames.Op(call.Op)],
            });
            frames.Add($"(task t{call.Task}, {(call.Context == CallContext.Atomic ? "atomic" : "task")} context, CPU {call.Cpu})");
        }
        else
        {
            frames.Add("(the kernel itself at a boot phase)");
        }

        return frames.Distinct();
    }

    private static void Field(StringBuilder o, string name, string value) => Wrap(o, $"{name + ":",-13}{value}", "", new string(' ', 13));

    /// <summary>Appends <paramref name="text"/> word-wrapped at <see cref="Width"/>; a word too long is cut.</summary>
    internal static void Wrap(StringBuilder o, string text, string indent, string? continuation = null)
    {
        continuation ??= indent;
        var line = new StringBuilder(indent);
        var empty = true;
        foreach (var word in text.Split(' '))
        {
            var w = word;
            if (!empty && line.Length + 1 + w.Length > Width)
            {
                o.Append(line).Append('\n');
                line.Clear().Append(continuation);
                empty = true;
            }

            while (line.Length + (empty ? 0 : 1) + w.Length > Width)
            {
                var room = Width - line.Length - (empty ? 0 : 1);
                if (room <= 0)
                {
                    o.Append(line).Append('\n');
                    line.Clear().Append(continuation);
                    empty = true;
                    continue;
                }

                if (!empty) line.Append(' ');
                line.Append(w[..room]);
                o.Append(line).Append('\n');
                line.Clear().Append(continuation);
                empty = true;
                w = w[room..];
            }

            if (!empty) line.Append(' ');
            line.Append(w);
            empty = false;
        }

        o.Append(line).Append('\n');
    }

    private static string Version() =>
        typeof(FindingMail).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "dev";
}
