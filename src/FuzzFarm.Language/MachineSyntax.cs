using System.Text;
using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>The <c>machine KEY=VALUE ...</c> line: writing it in canonical key order and reading it back.</summary>
internal static class MachineSyntax
{
    // The defaults of MachineConfig's constructor, read from an instance rather than copied so that the trace
    // format follows the model if a default moves (the printer omits optional keys that equal these).
    private static readonly MachineConfig _defaults = new([default]);

    private static readonly string[] _rodata = ["on", "noalias", "off"];
    private static readonly string[] _kfence = ["off", "early", "late"];
    private static readonly string[] _bringup = ["serial", "parallel"];
    private static readonly string[] _walker = ["leaf", "sect"];
    private static readonly string[] _onOff = ["off", "on"];

    /// <summary>The BBM level a trace implies for a CPU: traces do not carry it, so it follows detection.</summary>
    public static string Format(MachineConfig m)
    {
        var detected = new bool[m.Cpus];
        var hardware = new bool[m.Cpus];
        for (var i = 0; i < m.Cpus; i++)
        {
            var cpu = m.Cpu(i);
            detected[i] = cpu.Bbml2Detected;
            hardware[i] = cpu.Bbml2Hardware;
        }

        var sb = new StringBuilder("machine");
        sb.Append(" cpus=").Append(TraceSyntax.Dec(m.Cpus));
        sb.Append(" bbml2=").Append(FormatMask(detected));
        sb.Append(" ram=").Append(Units.FormatSize(m.RamBytes));
        sb.Append(" rodata=").Append(_rodata[(int)m.Rodata]);
        sb.Append(" dpa=").Append(_onOff[m.DebugPagealloc ? 1 : 0]);
        sb.Append(" kfence=").Append(_kfence[(int)m.Kfence]);
        sb.Append(" realm=").Append(_onOff[m.Realm ? 1 : 0]);
        sb.Append(" bringup=").Append(_bringup[(int)m.Bringup]);
        sb.Append(" walker=").Append(_walker[(int)m.Walker]);
        if (m.BootCpus != m.Cpus) sb.Append(" boot-cpus=").Append(TraceSyntax.Dec(m.BootCpus));
        if (!detected.AsSpan().SequenceEqual(hardware)) sb.Append(" bbml2-hw=").Append(FormatMask(hardware));
        if (m.KaliasOffset != _defaults.KaliasOffset || m.KaliasSize != _defaults.KaliasSize)
            sb.Append(" kalias=").Append(FormatRange(m.KaliasOffset, m.KaliasSize));
        if (m.KfencePoolOffset != _defaults.KfencePoolOffset || m.KfencePoolSize != _defaults.KfencePoolSize)
            sb.Append(" kfence-pool=").Append(FormatRange(m.KfencePoolOffset, m.KfencePoolSize));
        if (m.SwiotlbOffset != 0 || m.SwiotlbSize != 0)
            sb.Append(" swiotlb=").Append(FormatRange(m.SwiotlbOffset, m.SwiotlbSize));
        if (m.ItsSize != 0) sb.Append(" its=").Append(FormatRange(m.ItsOffset, m.ItsSize));
        return sb.ToString();
    }

    private static string FormatMask(bool[] mask)
    {
        if (mask.All(b => b)) return "all";
        if (!mask.Any(b => b)) return "none";
        return string.Join(",", Enumerable.Range(0, mask.Length).Where(i => mask[i]).Select(i => TraceSyntax.Dec(i)));
    }

    private static string FormatRange(ulong offset, ulong size) => $"{TraceSyntax.Hex(offset)}+{Units.FormatSize(size)}";

    /// <summary>Reads the keys after the <c>machine</c> keyword (any order; each at most once).</summary>
    public static MachineConfig Parse(string[] tokens)
    {
        var fields = new LineFields(tokens, 1, "machine");
        fields.EnsureNoBare();
        var cpus = TraceSyntax.ParseInt("cpus", fields.Require("cpus"), 1, MachineConfig.MaxCpus);
        var detectedText = fields.Take("bbml2");
        var detected = detectedText is null ? Enumerable.Repeat(true, cpus).ToArray() : ParseMask("bbml2", detectedText, cpus);
        var hardwareText = fields.Take("bbml2-hw");
        var hardware = hardwareText is null ? detected : ParseMask("bbml2-hw", hardwareText, cpus);
        var specs = new CpuSpec[cpus];
        for (var i = 0; i < cpus; i++) specs[i] = new CpuSpec(detected[i], hardware[i]);

        var ram = Size(fields, "ram", _defaults.RamBytes);
        var rodata = (RodataMode)Choose(fields, "rodata", _rodata, (int)_defaults.Rodata);
        var dpa = Choose(fields, "dpa", _onOff, 0) == 1;
        var kfence = (KfenceMode)Choose(fields, "kfence", _kfence, (int)_defaults.Kfence);
        var realm = Choose(fields, "realm", _onOff, 0) == 1;
        var bringup = (BringupMode)Choose(fields, "bringup", _bringup, (int)_defaults.Bringup);
        var walker = (WalkerMode)Choose(fields, "walker", _walker, (int)_defaults.Walker);
        var bootText = fields.Take("boot-cpus");
        var bootCpus = bootText is null ? cpus : TraceSyntax.ParseInt("boot-cpus", bootText, 1, MachineConfig.MaxCpus);
        var kalias = Range(fields, "kalias", (_defaults.KaliasOffset, _defaults.KaliasSize), allowNone: false);
        var pool = Range(fields, "kfence-pool", (_defaults.KfencePoolOffset, _defaults.KfencePoolSize), allowNone: false);
        var swiotlb = Range(fields, "swiotlb", (0, 0), allowNone: true);
        var its = Range(fields, "its", (0, 0), allowNone: true);
        fields.EnsureConsumed();
        try
        {
            return new MachineConfig(
                specs, ram, rodata, dpa, kfence, realm, bringup, walker, bootCpus, kalias.Offset, kalias.Size,
                pool.Offset, pool.Size, swiotlb.Offset, swiotlb.Size, its.Offset, its.Size);
        }
        catch (MachineConfigException e)
        {
            throw new TraceProblem($"machine: {e.Message}");
        }
    }

    private static bool[] ParseMask(string key, string text, int cpus)
    {
        if (text == "all") return Enumerable.Repeat(true, cpus).ToArray();
        if (text == "none") return new bool[cpus];
        var mask = new bool[cpus];
        foreach (var item in text.Split(','))
        {
            var cpu = TraceSyntax.ParseInt(key, item, 0, cpus - 1);
            if (mask[cpu]) throw new TraceProblem($"{key}: cpu {cpu} is listed twice");
            mask[cpu] = true;
        }

        return mask;
    }

    private static ulong Size(LineFields fields, string key, ulong fallback)
    {
        var text = fields.Take(key);
        return text is null ? fallback : TraceSyntax.ParseSize(key, text);
    }

    private static int Choose(LineFields fields, string key, string[] names, int fallback)
    {
        var text = fields.Take(key);
        if (text is null) return fallback;
        var index = Array.IndexOf(names, text);
        return index >= 0 ? index : throw new TraceProblem($"{key}: unknown value '{text}' (expected {string.Join("|", names)})");
    }

    private static (ulong Offset, ulong Size) Range(LineFields fields, string key, (ulong, ulong) fallback, bool allowNone)
    {
        var text = fields.Take(key);
        if (text is null) return fallback;
        if (allowNone && text == "none") return (0, 0);
        var plus = text.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0) throw new TraceProblem($"{key}: expected OFFSET+SIZE, got '{text}'");
        return (TraceSyntax.ParseSize(key, text[..plus]), TraceSyntax.ParseSize(key, text[(plus + 1)..]));
    }
}
