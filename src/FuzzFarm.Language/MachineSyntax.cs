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
    /// <param name="tokens">The line's tokens, <c>machine</c> first.</param>
    /// <param name="warnings">
    /// Receives what the kernel would warn about: the keys named after early parameters (<c>rodata</c>, <c>dpa</c> for
    /// <c>debug_pagealloc=</c>) accept what the kernel's parser accepts, and a value it rejects keeps the kernel's
    /// default with its "Malformed early option" warning, as the kernel does (domain §1: <c>rodata=full</c>).
    /// </param>
    public static MachineConfig Parse(string[] tokens, ICollection<string>? warnings = null)
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
        var rodata = Rodata(fields.Take("rodata"), warnings);
        var dpa = DebugPagealloc(fields.Take("dpa"), warnings);
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

    /// <summary>
    /// arm64's parse_rodata(): <c>on</c>, <c>noalias</c> or <c>off</c>; anything else (the historical <c>full</c>
    /// included) is -EINVAL, so the kernel warns and the default <c>rodata=on</c> stays in force.
    /// </summary>
    private static RodataMode Rodata(string? text, ICollection<string>? warnings)
    {
        if (text is null) return _defaults.Rodata;
        var index = Array.IndexOf(_rodata, text);
        if (index >= 0) return (RodataMode)index;
        warnings?.Add($"rodata={text}: arm64 takes on, noalias or off; the kernel prints \"Malformed early option 'rodata'\" and keeps the default rodata=on"
            + (text == "full" ? " (\"full\" is what rodata=on means now)" : ""));
        return RodataMode.On;
    }

    /// <summary>
    /// debug_pagealloc= goes through kstrtobool(): y/Y/1/on and n/N/0/off (only the first characters count, "of"
    /// for off); anything else is rejected with a warning and debug_pagealloc stays off.
    /// </summary>
    private static bool DebugPagealloc(string? text, ICollection<string>? warnings)
    {
        if (text is null) return false;
        switch (text.Length > 0 ? text[0] : '\0')
        {
            case 'y' or 'Y' or '1':
                return true;
            case 'n' or 'N' or '0':
                return false;
            case 'o' or 'O' when text.Length > 1 && text[1] is 'n' or 'N':
                return true;
            case 'o' or 'O' when text.Length > 1 && text[1] is 'f' or 'F':
                return false;
        }

        warnings?.Add($"dpa={text}: debug_pagealloc= takes a boolean (on/off, y/n, 1/0); the kernel prints \"Malformed early option 'debug_pagealloc'\" and keeps it off");
        return false;
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
