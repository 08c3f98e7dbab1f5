using System.Security.Cryptography;
using dnlib.DotNet;
using dnlib.DotNet.Emit;

namespace FuzzFarm.Cli.Instrumentation;

/// <summary>
/// Produces SharpFuzz-instrumented copies of FuzzFarm.Model and FuzzFarm.Variants for in-process edge coverage.
/// SharpFuzz draws location ids at random; this pass then renumbers them from a hash of (type, method, ordinal)
/// into [0, <see cref="MapSize"/>), so that the same build always gives the same edge map (runs stay
/// reproducible across machines) and a run only clears and scans 16 KiB. The copies are cached by the
/// originals' content hash under the user's cache folder.
/// </summary>
public static class Instrumenter
{
    /// <summary>The edge map the renumbered ids address (AFL's prev ^ cur stays below it).</summary>
    public const int MapSize = 1 << 14;

    /// <summary>The assemblies whose code is instrumented.</summary>
    public static readonly string[] Targets = ["FuzzFarm.Model", "FuzzFarm.Variants"];

    /// <summary>
    /// Types left uninstrumented: containers and value types whose branches are loop mechanics (binary search
    /// in the linear map, record equality of events, hashing), not kernel logic. Their edges only add noise to
    /// the map, and AFL-style counters on them cost more than the rest of the model together.
    /// </summary>
    public static readonly string[] Excluded =
    [
        "FuzzFarm.Model.LinearMap", "FuzzFarm.Model.Leaf", "FuzzFarm.Model.MachineEvent", "FuzzFarm.Model.StopSpec",
        "FuzzFarm.Model.Units", "FuzzFarm.Model.Prng", "FuzzFarm.Model.MachineConfig", "FuzzFarm.Model.CpuSpec",
        "FuzzFarm.Model.Points", "FuzzFarm.Model.KernelSnapshot", "FuzzFarm.Model.Kernel/StateHasher",
        "FuzzFarm.Model.TaskSlot", "FuzzFarm.Model.Violation", "FuzzFarm.Model.MapQueries", "FuzzFarm.Model.LayoutBuilder",
        "FuzzFarm.Model.Invariants", "FuzzFarm.Model.AssumptionNames",
    ];

    /// <summary>
    /// Methods whose instrumentation is taken out again after SharpFuzz (their sites become nops): the replay
    /// mechanics every primitive goes through (log lookup, recording, stop checks, activity labels) and plain
    /// accessors. Their branches say "replaying or live", not what the kernel decided, and they run on every
    /// primitive of every resumed task, so counting them costs more than the rest and adds no signal.
    /// </summary>
    public static readonly string[] Stripped =
    [
        "Replayed", "Record", "Guard", "StopReached", "NoteActivity", "SlotOfLabel", "AllocSlot", "LowestBit", "IsLinear",
        "Off", "LmAddress", "OverlapsKalias", "UsedSlots", "NextActiveAfter", "CopyTask", "PackFlags", "UnpackFlags", "StateHash", "RankMask",
        "ActiveTasks", "Save", "Restore",
    ];

    /// <summary>
    /// The Kernel methods the <see cref="EdgePolicy.Guards"/> policy keeps: the primitives a version's guard logic
    /// reads or takes (capabilities, CPU masks, realm and allocator state, locks, WARN_ON, leaf tests). Their
    /// branches are the kernel's answers to the guards; the page-table arithmetic behind a split is not here.
    /// </summary>
    public static readonly string[] GuardMethods =
    [
        "SystemSupportsBbml2NoAbort", "SystemCapabilitiesFinalized", "CpuSupportsBbml2NoAbort", "ForcePteMapping",
        "CanSetDirectMap", "IsKfenceAddress", "IsRealmWorld", "SlabIsAvailable", "NumOnlineCpus", "Arm64KfenceCanSetDirectMap",
        "MutexLock", "MutexUnlock", "CpusReadTrylock", "CpusReadLock", "CpusReadUnlock", "WarnOn", "LeafIs",
        "get_PageAllocAvailable",
    ];

    /// <summary>
    /// The instrumentation policy, from FUZZFARM_EDGES: <c>guards</c> (the default) or <c>model</c>. An unknown
    /// value is an error naming the variable.
    /// </summary>
    public static EdgePolicy Policy => ParsePolicy(Environment.GetEnvironmentVariable(PolicyVariable));

    /// <summary>A FUZZFARM_EDGES value: blank is <c>guards</c>.</summary>
    /// <exception cref="InvalidOperationException">Neither <c>guards</c> nor <c>model</c>; the message names the variable.</exception>
    public static EdgePolicy ParsePolicy(string? text) => string.IsNullOrWhiteSpace(text) ? EdgePolicy.Guards : text.Trim() switch
    {
        "guards" => EdgePolicy.Guards,
        "model" => EdgePolicy.Model,
        _ => throw new InvalidOperationException($"{PolicyVariable}: '{text}' is not 'guards' or 'model'"),
    };

    public const string PolicyVariable = "FUZZFARM_EDGES";

    /// <summary>The policy in effect as FUZZFARM_EDGES spells it (<c>guards</c>, <c>model</c>), for reports.</summary>
    public static string PolicyName => Policy == EdgePolicy.Guards ? "guards" : "model";

    private static bool IsStripped(MethodDef method, EdgePolicy policy)
    {
        var type = method.DeclaringType.FullName;
        if (policy == EdgePolicy.Guards)
            return type == "FuzzFarm.Model.Kernel" && !GuardMethods.Contains(method.Name.String);
        return type.StartsWith("FuzzFarm.Model.Kernel", StringComparison.Ordinal)
            && (Stripped.Contains(method.Name.String) || (method.IsGetter && method.Body.Instructions.Count(i => i.OpCode.FlowControl == FlowControl.Cond_Branch) == 0));
    }

    /// <summary>
    /// Whether a type (full name) is instrumented. <see cref="EdgePolicy.Model"/>: FuzzFarm code except
    /// <see cref="Excluded"/>. <see cref="EdgePolicy.Guards"/>: the versions (FuzzFarm.Variants, the SplitVariant
    /// base) and the Kernel (whose methods other than <see cref="GuardMethods"/> are stripped again).
    /// </summary>
    public static bool ShouldInstrument(string type, EdgePolicy policy) => policy == EdgePolicy.Guards
        ? type.StartsWith("FuzzFarm.Variants.", StringComparison.Ordinal) || type is "FuzzFarm.Model.SplitVariant" or "FuzzFarm.Model.Kernel"
        : type.StartsWith("FuzzFarm.", StringComparison.Ordinal) && !Excluded.Any(e => type == e || type.StartsWith(e + "/", StringComparison.Ordinal));

    /// <summary>Returns a folder holding the instrumented copies of <see cref="Targets"/> from <paramref name="sourceDir"/>.</summary>
    public static string Prepare(string sourceDir, string? cacheRoot = null) => Prepare(sourceDir, Policy, cacheRoot);

    /// <summary>Returns a folder holding the copies of <see cref="Targets"/> instrumented under <paramref name="policy"/>.</summary>
    public static string Prepare(string sourceDir, EdgePolicy policy, string? cacheRoot = null)
    {
        ArgumentNullException.ThrowIfNull(sourceDir);
        var sources = Targets.Select(t => Path.Combine(sourceDir, t + ".dll")).ToArray();
        foreach (var s in sources)
        {
            if (!File.Exists(s)) throw new FileNotFoundException($"cannot instrument: {s} is missing", s);
        }

        using var sha = SHA256.Create();
        foreach (var s in sources)
        {
            var bytes = File.ReadAllBytes(s);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }

        var rules = System.Text.Encoding.UTF8.GetBytes(string.Join(";", Excluded) + "|" + string.Join(";", Stripped) + $";map={MapSize};v4;policy={policy};" + string.Join(";", GuardMethods));
        sha.TransformFinalBlock(rules, 0, rules.Length);
        var key = Convert.ToHexString(sha.Hash!)[..16].ToLowerInvariant();
        cacheRoot ??= Path.Combine(
            Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "fuzzfarm", "instrumented");
        var dir = Path.Combine(cacheRoot, key);
        if (Targets.All(t => File.Exists(Path.Combine(dir, t + ".dll")))) return dir;

        var work = Path.Combine(cacheRoot, $"{key}.tmp-{Environment.ProcessId}");
        var used = new HashSet<int>(); // one id space for both assemblies: their edges share the map
        Directory.CreateDirectory(work);
        try
        {
            foreach (var s in sources)
            {
                var copy = Path.Combine(work, Path.GetFileName(s));
                File.Copy(s, copy, overwrite: true);
                SharpFuzz.Fuzzer.Instrument(copy, t => ShouldInstrument(t, policy), SharpFuzz.Options.Value);
                Renumber(copy, used, policy);
            }

            try
            {
                Directory.Move(work, dir);
            }
            catch (IOException) when (Directory.Exists(dir))
            {
                // Another process won the race: its copies are identical.
                Directory.Delete(work, recursive: true);
            }
        }
        catch
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            throw;
        }

        return dir;
    }

    /// <summary>
    /// Rewrites each instrumentation site's <c>ldc.i4 id</c> (after <c>ldsfld Trace::SharedMem</c>) and its
    /// <c>ldc.i4 id &gt;&gt; 1</c> (before <c>stsfld Trace::PrevLocation</c>) with a deterministic id. Returns the
    /// number of sites.
    /// </summary>
    public static int Renumber(string assemblyPath, HashSet<int>? used = null, EdgePolicy policy = EdgePolicy.Model)
    {
        ArgumentNullException.ThrowIfNull(assemblyPath);
        used ??= [];
        var sites = 0;
        byte[] output;
        using (var module = ModuleDefMD.Load(File.ReadAllBytes(assemblyPath)))
        {
            var methods = module.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody)
                .OrderBy(m => m.FullName, StringComparer.Ordinal).ToList();
            foreach (var method in methods)
            {
                var code = method.Body.Instructions;
                var ordinal = 0;
                var current = -1;
                if (IsStripped(method, policy))
                {
                    StripSites(method);
                    continue;
                }
                for (var i = 0; i + 1 < code.Count; i++)
                {
                    if (IsTraceField(code[i], Code.Ldsfld, "SharedMem") && IsLdcI4(code[i + 1]))
                    {
                        current = FreeId(method.FullName, ordinal++, used);
                        code[i + 1].OpCode = OpCodes.Ldc_I4;
                        code[i + 1].Operand = current;
                        sites++;
                    }
                    else if (current >= 0 && IsLdcI4(code[i]) && IsTraceField(code[i + 1], Code.Stsfld, "PrevLocation"))
                    {
                        code[i].OpCode = OpCodes.Ldc_I4;
                        code[i].Operand = current >> 1;
                        current = -1;
                    }
                }
            }

            using var ms = new MemoryStream();
            module.Write(ms);
            output = ms.ToArray();
        }

        File.WriteAllBytes(assemblyPath, output);
        return sites;
    }

    /// <summary>
    /// Removes every instrumentation site of a method (not as nops: the inliner counts IL bytes, and these small
    /// methods must stay inlinable). Branches and exception-handler bounds that pointed at a removed instruction
    /// are moved to the first instruction kept after it.
    /// </summary>
    private static void StripSites(MethodDef method)
    {
        var code = method.Body.Instructions;
        var removed = new HashSet<Instruction>();
        for (var i = 0; i < code.Count; i++)
        {
            if (!IsTraceField(code[i], Code.Ldsfld, "SharedMem")) continue;
            var j = i;
            while (j < code.Count && !IsTraceField(code[j], Code.Stsfld, "PrevLocation")) j++;
            if (j == code.Count) return; // not the shape SharpFuzz writes: leave the method alone
            for (var k = i; k <= j; k++) removed.Add(code[k]);
            i = j;
        }

        if (removed.Count == 0) return;
        Instruction Kept(Instruction target)
        {
            var index = code.IndexOf(target);
            while (index < code.Count && removed.Contains(code[index])) index++;
            return code[index];
        }

        foreach (var ins in code)
        {
            if (ins.Operand is Instruction target && removed.Contains(target)) ins.Operand = Kept(target);
            else if (ins.Operand is Instruction[] targets)
            {
                for (var t = 0; t < targets.Length; t++)
                {
                    if (removed.Contains(targets[t])) targets[t] = Kept(targets[t]);
                }
            }
        }

        foreach (var h in method.Body.ExceptionHandlers)
        {
            if (h.TryStart is { } ts && removed.Contains(ts)) h.TryStart = Kept(ts);
            if (h.TryEnd is { } te && removed.Contains(te)) h.TryEnd = Kept(te);
            if (h.HandlerStart is { } hs && removed.Contains(hs)) h.HandlerStart = Kept(hs);
            if (h.HandlerEnd is { } he && removed.Contains(he)) h.HandlerEnd = Kept(he);
            if (h.FilterStart is { } fs && removed.Contains(fs)) h.FilterStart = Kept(fs);
        }

        for (var i = code.Count - 1; i >= 0; i--)
        {
            if (removed.Contains(code[i])) code.RemoveAt(i);
        }

        method.Body.SimplifyBranches();
        method.Body.OptimizeBranches();
    }

    private static int FreeId(string method, int ordinal, HashSet<int> used)
    {
        var h = 14695981039346656037UL;
        foreach (var c in method) h = (h ^ c) * 1099511628211UL;
        h = (h ^ (ulong)ordinal) * 1099511628211UL;
        var id = (int)(h % MapSize);
        // Linear probing in method-name order keeps distinct sites apart while the map has room.
        for (var probe = 0; probe < MapSize && !used.Add(id); probe++) id = (id + 1) % MapSize;
        return id;
    }

    private static bool IsLdcI4(Instruction ins) => ins.OpCode.Code is Code.Ldc_I4 or Code.Ldc_I4_S
        or Code.Ldc_I4_0 or Code.Ldc_I4_1 or Code.Ldc_I4_2 or Code.Ldc_I4_3 or Code.Ldc_I4_4 or Code.Ldc_I4_5
        or Code.Ldc_I4_6 or Code.Ldc_I4_7 or Code.Ldc_I4_8 or Code.Ldc_I4_M1;

    private static bool IsTraceField(Instruction ins, Code code, string name) =>
        ins.OpCode.Code == code && ins.Operand is IField f && f.Name == name
        && f.DeclaringType?.FullName == "SharpFuzz.Common.Trace";
}

/// <summary>What SharpFuzz instruments for in-process edge coverage.</summary>
public enum EdgePolicy
{
    /// <summary>The versions and the guard primitives they call (the default: measured as strong a search, at a fraction of the cost).</summary>
    Guards,

    /// <summary>The whole model except its containers and replay mechanics (before issue 19).</summary>
    Model,
}
