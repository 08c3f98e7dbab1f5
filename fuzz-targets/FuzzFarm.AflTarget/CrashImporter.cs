using System.Globalization;
using FuzzFarm.Engine;
using FuzzFarm.Language;
using FuzzFarm.Model;

namespace FuzzFarm.AflTarget;

/// <summary>
/// Turns AFL's <c>crashes/</c> into FuzzFarm findings the way the in-process engine does (FuzzSession): each
/// selected violation of a crash input is minimized by <see cref="Minimizer"/>, confirmed by <see cref="ReplayGate"/>
/// (the written text must parse back and reproduce on a fresh machine) and deduplicated by <see cref="Signature"/>;
/// a new signature is written as <c>OUTDIR/&lt;signature key&gt;.trace</c> with <see cref="Finding.TraceText"/>.
/// </summary>
internal sealed class CrashImporter(TargetSettings settings, TextWriter log)
{
    /// <summary>Crash files read.</summary>
    public int Crashes { get; private set; }

    /// <summary>New findings written.</summary>
    public int Imported { get; private set; }

    /// <summary>Selected violations whose signature was already imported (this run or a trace already in OUTDIR).</summary>
    public int Duplicates { get; private set; }

    /// <summary>Minimized programs the replay gate refused.</summary>
    public int Refused { get; private set; }

    /// <summary>Crash files that showed no selected violation when run here (other settings than the campaign's).</summary>
    public int NotReproduced { get; private set; }

    public void Run(string crashDir, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var machine = new Machine(settings.Machine, settings.Variant);
        var minimizer = new Minimizer(machine, settings.Env);
        var objective = settings.Objective();
        var known = new HashSet<Signature>();
        var signatures = new List<Signature>();

        var files = Directory.GetFiles(crashDir)
            .Where(f => !string.Equals(Path.GetFileName(f), "README.txt", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            Crashes++;
            var name = Path.GetFileName(file);
            var bytes = File.ReadAllBytes(file);
            var original = BinaryDecoder.Decode(bytes.AsSpan(0, Math.Min(bytes.Length, FuzzBody.MaxInputBytes)), settings.Machine);
            machine.Run(original.Events.AsSpan());

            // Copy first: the minimizer reruns the same machine.
            signatures.Clear();
            foreach (ref readonly var v in machine.Violations)
            {
                if (!objective.Selects(v)) continue;
                var s = Signature.Of(settings.Variant.Id, v);
                if (!signatures.Contains(s)) signatures.Add(s);
            }

            if (signatures.Count == 0)
            {
                NotReproduced++;
                log.WriteLine($"  {name}: no selected violation under {settings.Describe()}");
                continue;
            }

            foreach (var signature in signatures)
            {
                var path = Path.Combine(outDir, signature.Key + ".trace");
                if (known.Contains(signature) || File.Exists(path))
                {
                    known.Add(signature);
                    Duplicates++;
                    continue;
                }

                var minimized = minimizer.Minimize(original.Events.AsSpan(), signature);
                var candidate = new EventProgram(settings.Machine, [.. minimized], settings.Variant.Id, settings.Env, seed: null);
                if (!ReplayGate.Confirms(candidate, settings.Variant, signature, settings.Env, out var confirmed))
                {
                    Refused++;
                    log.WriteLine($"  {name}: {signature} refused by the replay gate");
                    continue;
                }

                var finding = new Finding(signature, candidate, confirmed, ExecutionsOf(name), original.Events.Length);
                File.WriteAllText(path, finding.TraceText);
                known.Add(signature);
                Imported++;
                log.WriteLine(
                    $"  {name}: new {signature.Key}.trace  {finding.Title}  " +
                    $"({original.Events.Length} -> {candidate.Events.Length} events, {minimizer.Tests} minimizer runs)");
            }
        }
    }

    /// <summary>AFL++ names crashes <c>id:…,sig:…,src:…,time:…,execs:N,op:…</c>; N, or 0 without it.</summary>
    private static long ExecutionsOf(string name)
    {
        foreach (var part in name.Split(','))
        {
            if (part.StartsWith("execs:", StringComparison.Ordinal)
                && long.TryParse(part.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }
        }

        return 0;
    }
}
