using System.Text;
using FuzzFarm.Model;

namespace FuzzFarm.Language;

/// <summary>One event line: the canonical text of an event, and reading an event back (syntax only: the
/// boot-order and label rules are checked afterwards by <see cref="EventValidator"/>).</summary>
internal static class EventSyntax
{
    public static bool IsEventKeyword(string keyword) =>
        keyword is "phase" or "cpu-up" or "cpu-down" or "call" or "step" or "run";

    /// <summary>The lowest format revision that has every name the event uses (an operation or a stop point).</summary>
    public static int Revision(in MachineEvent ev) => Math.Max(
        ev.Kind == EventKind.Call ? TraceNames.OpRevision(ev.Op) : 1,
        ev.Stop.Kind == StopKind.AtPoint ? TraceNames.PointRevision(ev.Stop.At) : 1);

    public static string Format(in MachineEvent ev, MachineConfig m)
    {
        var sb = new StringBuilder();
        switch (ev.Kind)
        {
            case EventKind.Phase:
                return "phase " + TraceNames.Phase(ev.Phase);
            case EventKind.CpuUp or EventKind.CpuDown:
                sb.Append(ev.Kind == EventKind.CpuUp ? "cpu-up t" : "cpu-down t").Append(TraceSyntax.Dec(ev.Task));
                sb.Append(" cpu=").Append(TraceSyntax.Dec(ev.Cpu));
                AppendStop(sb, "stop", ev.Stop);
                return sb.ToString();
            case EventKind.Call:
                return FormatCall(sb, ev, m);
            case EventKind.Step:
                sb.Append("step t").Append(TraceSyntax.Dec(ev.Task));
                AppendStop(sb, "to", ev.Stop);
                return sb.ToString();
            default:
                return "run t" + TraceSyntax.Dec(ev.Task);
        }
    }

    private static string FormatCall(StringBuilder sb, in MachineEvent ev, MachineConfig m)
    {
        sb.Append("call t").Append(TraceSyntax.Dec(ev.Task)).Append(" cpu=").Append(TraceSyntax.Dec(ev.Cpu));
        sb.Append(ev.Context == CallContext.Atomic ? " ctx=atomic " : " ctx=task ").Append(TraceNames.Op(ev.Op));
        if (TraceNames.TakesRange(ev.Op))
        {
            sb.Append(" addr=").Append(AddressSyntax.Format(m, ev.Page));
            if (ev.Pages != 1) sb.Append(" pages=").Append(TraceSyntax.Dec(ev.Pages));
        }

        if (TraceNames.TakesEnable(ev.Op)) sb.Append(ev.Enable ? " enable=1" : " enable=0");
        AppendStop(sb, "stop", ev.Stop);
        return sb.ToString();
    }

    private static void AppendStop(StringBuilder sb, string key, StopSpec stop)
    {
        if (stop.Kind != StopKind.None) sb.Append(' ').Append(key).Append('=').Append(stop.ToString());
    }

    /// <summary>Reads an event line whose first token is an event keyword.</summary>
    public static MachineEvent Parse(string[] tokens, MachineConfig m)
    {
        var keyword = tokens[0];
        if (keyword == "phase")
        {
            if (tokens.Length != 2) throw new TraceProblem("phase: expected exactly one phase name");
            return TraceNames.TryParsePhase(tokens[1], out var phase)
                ? MachineEvent.PhaseTo(phase)
                : throw new TraceProblem($"phase: unknown phase '{tokens[1]}'");
        }

        if (tokens.Length < 2) throw new TraceProblem($"{keyword}: missing task label tN");
        var task = ParseTask(keyword, tokens[1]);
        var fields = new LineFields(tokens, 2, keyword);
        MachineEvent ev;
        switch (keyword)
        {
            case "cpu-up" or "cpu-down":
                fields.EnsureNoBare();
                var cpu = ParseCpu(fields);
                var stop = ParseStop(keyword, "stop", fields.Take("stop"));
                ev = keyword == "cpu-up" ? MachineEvent.CpuUp(task, cpu, stop) : MachineEvent.CpuDown(task, cpu, stop);
                break;
            case "call":
                ev = ParseCall(fields, task, m);
                break;
            case "step":
                fields.EnsureNoBare();
                ev = MachineEvent.StepTask(task, ParseStop(keyword, "to", fields.Take("to")));
                break;
            default:
                fields.EnsureNoBare();
                ev = MachineEvent.RunTask(task);
                break;
        }

        fields.EnsureConsumed();
        return ev;
    }

    private static MachineEvent ParseCall(LineFields fields, byte task, MachineConfig m)
    {
        if (fields.Bare.Count == 0) throw new TraceProblem("call: missing operation");
        if (fields.Bare.Count > 1) throw new TraceProblem($"call: unexpected token '{fields.Bare[1]}'");
        var opName = fields.Bare[0];
        if (!TraceNames.TryParseOp(opName, out var op)) throw new TraceProblem($"call: unknown operation '{opName}'");
        var cpu = ParseCpu(fields);
        var ctx = fields.Require("ctx") switch
        {
            "task" => CallContext.Task,
            "atomic" => CallContext.Atomic,
            var other => throw new TraceProblem($"call: unknown ctx '{other}' (expected task|atomic)"),
        };
        uint page = 0;
        ushort pages = 0;
        if (!TraceNames.TakesRange(op))
        {
            var why = op == CallOp.ArchAddMemory ? "arch_add_memory maps the machine's whole hotadd= range" : "kfence_init_late works on the whole late pool";
            fields.Forbid("addr", why);
            fields.Forbid("pages", why);
        }
        else
        {
            page = AddressSyntax.Parse(m, fields.Require("addr"));
            var pagesText = fields.Take("pages");
            pages = pagesText is null ? (ushort)1 : (ushort)TraceSyntax.ParseInt("pages", pagesText, 1, MachineEvent.MaxPages);
        }

        var enable = false;
        if (TraceNames.TakesEnable(op))
        {
            enable = fields.Take("enable") switch
            {
                null or "0" => false,
                "1" => true,
                var other => throw new TraceProblem($"enable: expected 0 or 1, got '{other}'"),
            };
        }
        else
        {
            fields.Forbid("enable", $"{opName} takes no enable flag");
        }

        var stop = ParseStop("call", "stop", fields.Take("stop"));
        return MachineEvent.Call(task, cpu, ctx, op, page, pages, enable, stop);
    }

    private static byte ParseTask(string keyword, string token)
    {
        if (token.Length < 2 || token[0] != 't' || !TraceSyntax.TryParseDecimal(token[1..], out var label))
            throw new TraceProblem($"{keyword}: expected a task label tN, got '{token}'");
        if (label is < 1 or > MachineEvent.MaxTaskLabel)
            throw new TraceProblem($"{keyword}: task label {token} is out of range t1..t{MachineEvent.MaxTaskLabel}");
        return (byte)label;
    }

    private static byte ParseCpu(LineFields fields) =>
        (byte)TraceSyntax.ParseInt("cpu", fields.Require("cpu"), 0, MachineConfig.MaxCpus - 1);

    private static StopSpec ParseStop(string keyword, string key, string? text)
    {
        if (text is null) return StopSpec.None;
        if (Points.TryParse(text, out var point)) return StopSpec.AtPoint(point);
        if (TraceSyntax.TryParseDecimal(text, out var count))
        {
            return count is >= 1 and <= 255
                ? StopSpec.After((int)count)
                : throw new TraceProblem($"{keyword}: {key}={text} is out of range 1..255");
        }

        throw new TraceProblem($"{keyword}: {key}={text} is not a preemption point or a count");
    }
}
