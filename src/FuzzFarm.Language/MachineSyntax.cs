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

        var implied = true;
        var bbmImplied = true;
        for (var i = 0; i < m.Cpus; i++)
        {
            var cpu = m.Cpu(i);
            var plain = new CpuSpec(cpu.Bbml2Detected, cpu.Bbml2Hardware);
            if (cpu.Part != plain.Part || cpu.MidrVariant != plain.MidrVariant || cpu.MidrRevision != plain.MidrRevision) implied = false;
            if (cpu.BbmLevel != plain.BbmLevel) bbmImplied = false;
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
        if (!implied) sb.Append(" midr=").Append(FormatList(m, c => c.MidrName));
        if (!bbmImplied) sb.Append(" bbm=").Append(FormatList(m, c => TraceSyntax.Dec(c.BbmLevel)));
        var defaultHardware = new bool[m.Cpus];
        for (var i = 0; i < m.Cpus; i++) defaultHardware[i] = m.Cpu(i).DefaultHardware;
        if (!defaultHardware.AsSpan().SequenceEqual(hardware)) sb.Append(" bbml2-hw=").Append(FormatMask(hardware));
        if (m.KaliasOffset != _defaults.KaliasOffset || m.KaliasSize != _defaults.KaliasSize)
            sb.Append(" kalias=").Append(FormatRange(m.KaliasOffset, m.KaliasSize));
        if (m.KfencePoolOffset != _defaults.KfencePoolOffset || m.KfencePoolSize != _defaults.KfencePoolSize)
            sb.Append(" kfence-pool=").Append(FormatRange(m.KfencePoolOffset, m.KfencePoolSize));
        if (m.SwiotlbOffset != 0 || m.SwiotlbSize != 0)
            sb.Append(" swiotlb=").Append(FormatRange(m.SwiotlbOffset, m.SwiotlbSize));
        if (m.ItsSize != 0) sb.Append(" its=").Append(FormatRange(m.ItsOffset, m.ItsSize));
        if (m.GuestMemfd) sb.Append(" gmem=on");
        if (m.HotaddBytes != 0) sb.Append(" hotadd=").Append(Units.FormatSize(m.HotaddBytes));
        return sb.ToString();
    }

    /// <summary>One value for every CPU when they agree, else one per CPU in CPU order.</summary>
    private static string FormatList(MachineConfig m, Func<CpuSpec, string> value)
    {
        var values = Enumerable.Range(0, m.Cpus).Select(i => value(m.Cpu(i))).ToArray();
        return values.All(v => v == values[0]) ? values[0] : string.Join(",", values);
    }

    /// <summary>
    /// The lowest revision whose keys write the machine line: 3 with <c>gmem</c> or <c>hotadd</c>, 2 with <c>midr</c> or
    /// <c>bbm</c>, else 1.
    /// </summary>
    public static int Revision(MachineConfig m)
    {
        if (m.GuestMemfd || m.HotaddBytes != 0) return 3;
        for (var i = 0; i < m.Cpus; i++)
        {
            if (!m.Cpu(i).IsImplied) return 2;
        }

        return 1;
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
    /// <param name="revision">The trace's format revision: keys added later are errors in an older trace.</param>
    public static MachineConfig Parse(string[] tokens, ICollection<string>? warnings = null, int revision = EventProgram.CurrentRevision)
    {
        var fields = new LineFields(tokens, 1, "machine");
        fields.EnsureNoBare();
        var cpus = TraceSyntax.ParseInt("cpus", fields.Require("cpus"), 1, MachineConfig.MaxCpus);
        var detectedText = fields.Take("bbml2");
        var midrText = fields.Take("midr");
        var bbmText = fields.Take("bbm");
        if (revision < 2 && (midrText is not null || bbmText is not null))
            throw new TraceProblem($"{(midrText is not null ? "midr" : "bbm")}: needs format revision 2 (the header says {revision})");
        var specs = Cpus(cpus, detectedText, midrText, bbmText);
        var hardwareText = fields.Take("bbml2-hw");
        if (hardwareText is not null)
        {
            var hardware = ParseMask("bbml2-hw", hardwareText, cpus);
            for (var i = 0; i < cpus; i++) specs[i] = specs[i] with { Bbml2Hardware = hardware[i] };
        }

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
        var gmemText = fields.Take("gmem");
        var hotaddText = fields.Take("hotadd");
        if (revision < 3 && (gmemText is not null || hotaddText is not null))
            throw new TraceProblem($"{(gmemText is not null ? "gmem" : "hotadd")}: needs format revision 3 (the header says {revision})");
        var gmem = gmemText is not null && (Array.IndexOf(_onOff, gmemText) is var g and >= 0
            ? g == 1 : throw new TraceProblem($"gmem: unknown value '{gmemText}' (expected off|on)"));
        var hotadd = hotaddText is null or "none" ? 0 : TraceSyntax.ParseSize("hotadd", hotaddText);
        fields.EnsureConsumed();
        try
        {
            return new MachineConfig(
                specs, ram, rodata, dpa, kfence, realm, bringup, walker, bootCpus, kalias.Offset, kalias.Size,
                pool.Offset, pool.Size, swiotlb.Offset, swiotlb.Size, its.Offset, its.Size, gmem, hotadd);
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

    /// <summary>
    /// The CPUs from <c>bbml2</c> (revision 1: allow-listed or not) refined by <c>midr</c> and <c>bbm</c> (revision 2).
    /// With <c>midr</c>, <c>bbml2</c> is what today's allow-list makes of those MIDRs and must agree with them. The
    /// hardware defaults to "never aborts" for an allow-listed CPU and for BBM level 3.
    /// </summary>
    private static CpuSpec[] Cpus(int cpus, string? detectedText, string? midrText, string? bbmText)
    {
        var detected = detectedText is null ? Enumerable.Repeat(midrText is null, cpus).ToArray() : ParseMask("bbml2", detectedText, cpus);
        var specs = new CpuSpec[cpus];
        for (var i = 0; i < cpus; i++) specs[i] = new CpuSpec(detected[i], detected[i]);
        if (midrText is not null)
        {
            var midrs = PerCpu("midr", midrText, cpus);
            for (var i = 0; i < cpus; i++)
            {
                var (part, variant, rev) = ParseMidr(midrs[i]);
                specs[i] = specs[i] with { Part = part, MidrVariant = variant, MidrRevision = rev };
                if (detectedText is not null && specs[i].Bbml2Detected != detected[i])
                    throw new TraceProblem($"bbml2: cpu {i} ({midrs[i]}) is {(detected[i] ? "listed" : "not listed")} but its MIDR is {(detected[i] ? "not " : "")}on the allow-list");
            }
        }

        if (bbmText is not null)
        {
            var levels = PerCpu("bbm", bbmText, cpus);
            for (var i = 0; i < cpus; i++) specs[i] = specs[i] with { BbmLevel = (byte)TraceSyntax.ParseInt("bbm", levels[i], 0, CpuSpec.MaxBbmLevel) };
        }

        for (var i = 0; i < cpus; i++) specs[i] = specs[i] with { Bbml2Hardware = specs[i].DefaultHardware };
        return specs;
    }

    private static string[] PerCpu(string key, string text, int cpus)
    {
        var items = text.Split(',');
        if (items.Length == 1) return Enumerable.Repeat(items[0], cpus).ToArray();
        return items.Length == cpus ? items : throw new TraceProblem($"{key}: {items.Length} values for {cpus} CPUs (give one for all, or one per CPU)");
    }

    /// <summary><c>PART:rVpR</c>, e.g. <c>neoverse-v3:r0p2</c>.</summary>
    private static (CpuPart, byte, byte) ParseMidr(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var part = -1;
        for (var i = 0; i < MidrAllowList.PartNames.Count; i++)
        {
            if (MidrAllowList.PartNames[i] == name) part = i;
        }

        if (part < 0) throw new TraceProblem($"midr: unknown part '{name}' (expected {string.Join("|", MidrAllowList.PartNames)})");
        var rev = colon < 0 ? "" : text[(colon + 1)..];
        var p = rev.IndexOf('p', StringComparison.Ordinal);
        if (rev.Length < 4 || rev[0] != 'r' || p < 2
            || !byte.TryParse(rev.AsSpan(1, p - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            || !byte.TryParse(rev.AsSpan(p + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var r)
            || v > 15 || r > 15)
            throw new TraceProblem($"midr: '{text}' is not PART:rVpR with V and R in 0..15");
        return ((CpuPart)part, v, r);
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
