using FuzzFarm.Model;

namespace FuzzFarm.KernelC;

internal sealed class Frame
{
    public Kernel K = null!;
    public long[] L = null!;
    public long Ret;
    public string? Goto;
}

internal delegate long Ex(Frame f);

/// <summary>0 next, 1 return, 2 break, 3 continue, 4 goto.</summary>
internal delegate int St(Frame f);

/// <summary>A compiled function of the C text: closures built once, run per call.</summary>
internal sealed class CFunction(string name, int line)
{
    public string Name { get; } = name;
    public int Line { get; } = line;
    public int Params;
    public int Slots;
    public St Body = _ => 0;
    public int BodyStart, BodyEnd;
    public List<string> ParamNames = [];

    // Frames are reused, not allocated per call: one stack per thread (the explorer's workers share a version),
    // indexed by call depth, so nested and recursive calls get their own frame. A preempted call unwinds through
    // the finally and gives its frame back.
    [ThreadStatic]
    private static Frame[]? _frames;

    [ThreadStatic]
    private static int _depth;

    public long Invoke(Kernel k, long a = 0, long b = 0)
    {
        var frames = _frames ??= new Frame[8];
        if (_depth == frames.Length)
        {
            if (_depth >= 4096) throw new InvalidOperationException($"{Name}: calls nested 4096 deep (recursion without end?)");
            Array.Resize(ref frames, frames.Length * 2);
            _frames = frames;
        }

        var f = frames[_depth] ??= new Frame { L = new long[2] };
        var slots = Math.Max(Slots, 2);
        if (f.L.Length < slots) f.L = new long[slots];
        else Array.Clear(f.L, 0, slots);
        f.K = k;
        f.Ret = 0;
        f.Goto = null;
        f.L[0] = a;
        f.L[1] = b;
        _depth++;
        try
        {
            if (Body(f) == 4) throw new InvalidOperationException($"{Name}: goto {f.Goto} leaves no enclosing block with that label");
            return f.Ret;
        }
        finally
        {
            _depth--;
            f.K = null!;
        }
    }
}

/// <summary>Parses the supported kernel-C subset and compiles each function to closures in one pass.</summary>
internal sealed class CCompiler
{
    private static readonly HashSet<string> _typeWords = new(StringComparer.Ordinal)
    {
        "void", "char", "short", "int", "long", "unsigned", "signed", "bool", "_Bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32",
        "s64", "struct", "enum", "union", "const", "volatile", "static", "extern", "register", "inline", "__always_inline", "noinline",
    };

    private static readonly HashSet<string> _attrs = new(StringComparer.Ordinal)
    {
        "__init", "__initdata", "__maybe_unused", "__ro_after_init", "__read_mostly", "__initconst", "__meminit", "__refdata", "__ref",
    };

    private const string Supported = "supported: functions with if/else, while, for, do, goto/labels, return, declarations, " +
        "?:, casts, arithmetic, WARN_ON/WARN_ON_ONCE, likely/unlikely, guard/scoped_guard, IS_ENABLED, #ifdef CONFIG_… inside functions";

    private readonly string _file;
    private readonly List<Token> _t;
    private int _p;
    private readonly Dictionary<string, CFunction> _fns = new(StringComparer.Ordinal);
    private readonly List<Dictionary<string, int>> _scopes = [];
    private CFunction? _cur;
    private string? _firstBound;

    public List<(string Name, int Line, int EndLine)> ModelOwnDefined { get; } = [];

    private CCompiler(string file, List<Token> toks)
    {
        _file = file;
        _t = toks;
    }

    public static (Dictionary<string, CFunction> Functions, List<(string Name, int Line, int EndLine)> ModelOwn) Compile(string file, string text)
    {
        var c = new CCompiler(file, CLexer.Lex(file, text));
        c.TopLevel();
        foreach (var f in c._fns.Values) c.CompileFunction(f);
        if (!c._fns.ContainsKey("split_kernel_leaf_mapping"))
            throw new KernelCException($"{file}:1:1: no split_kernel_leaf_mapping() defined; supported: a C text that defines split_kernel_leaf_mapping(start, end)");
        return (c._fns, c.ModelOwnDefined);
    }

    private Token Cur => _t[_p];
    private Token Peek(int n = 1) => _t[Math.Min(_p + n, _t.Count - 1)];
    private bool Is(string s) => Cur.Kind is Tok.Punct or Tok.Ident && Cur.Text == s;

    private KernelCException Error(Token at, string construct) => new($"{_file}:{at.Line}:{at.Col}: {construct}; {Supported}");

    private Token Expect(string s)
    {
        if (!Is(s)) throw Error(Cur, $"expected '{s}', found '{Cur.Text}'");
        return _t[_p++];
    }

    private void SkipBalancedTo(string end)
    {
        var depth = 0;
        while (Cur.Kind != Tok.End)
        {
            if (depth == 0 && Is(end)) { _p++; return; }
            if (Cur.Kind == Tok.Punct && Cur.Text is "(" or "{" or "[") depth++;
            else if (Cur.Kind == Tok.Punct && Cur.Text is ")" or "}" or "]") depth--;
            _p++;
            if (depth < 0) throw Error(_t[_p - 1], "unbalanced bracket");
        }
        throw Error(Cur, $"end of input before '{end}'");
    }

    // ---- File scope: collect functions (bodies compiled after all names are known) ----

    private void TopLevel()
    {
        while (Cur.Kind != Tok.End)
        {
            if (Cur.Kind == Tok.Directive || Is(";")) { _p++; continue; }
            var start = Cur;
            Token? name = null;
            int nameAt = -1;
            while (Cur.Kind != Tok.End && !Is(";") && !Is("{") && !Is("="))
            {
                if (Is("(") )
                {
                    if (name is null && _p > 0 && _t[_p - 1].Kind == Tok.Ident) { name = _t[_p - 1]; nameAt = _p; }
                    _p++;
                    SkipBalancedTo(")");
                    continue;
                }
                _p++;
            }
            if (Is("=")) { SkipBalancedTo(";"); continue; }
            if (Is(";")) { _p++; continue; }
            if (Cur.Kind == Tok.End) throw Error(start, "declaration not closed by ';' or a body");
            if (name is null) { _p++; SkipBalancedTo("}"); continue; } // struct/enum definition
            var fn = new CFunction(name.Value.Text, name.Value.Line);
            // Parameters: the last identifier of each comma-separated group.
            var q = nameAt + 1;
            var last = (string?)null;
            var depth = 0;
            for (; depth > 0 || _t[q].Text != ")"; q++)
            {
                var tk = _t[q];
                if (tk.Text == "(") depth++;
                else if (tk.Text == ")") depth--;
                else if (depth == 0 && tk.Text == ",") { if (last is not null) fn.ParamNames.Add(last); last = null; }
                else if (tk.Kind == Tok.Ident && !_attrs.Contains(tk.Text) && !(tk.Text == "void" && _t[q + 1].Text == ")")) last = tk.Text;
            }
            if (last is not null) fn.ParamNames.Add(last);
            fn.BodyStart = _p;
            _p++;
            SkipBalancedTo("}");
            fn.BodyEnd = _p;
            if (KernelBindings.ModelOwn.Contains(fn.Name)) { ModelOwnDefined.Add((fn.Name, fn.Line, _t[_p - 1].Line)); continue; }
            if (_fns.ContainsKey(fn.Name)) throw Error(name.Value, $"second definition of {fn.Name}()");
            _fns[fn.Name] = fn;
        }
    }

    private void CompileFunction(CFunction fn)
    {
        _cur = fn;
        _scopes.Clear();
        _scopes.Add([]);
        fn.Slots = 0;
        foreach (var p in fn.ParamNames) _scopes[0][p] = fn.Slots++;
        fn.Params = fn.ParamNames.Count;
        fn.Slots = Math.Max(fn.Slots, 2);
        _p = fn.BodyStart;
        fn.Body = Block();
        _cur = null;
    }

    // ---- Statements ----

    private St Block()
    {
        Expect("{");
        _scopes.Add([]);
        var st = Items(() => Is("}"));
        Expect("}");
        _scopes.RemoveAt(_scopes.Count - 1);
        return st;
    }

    private St Items(Func<bool> end)
    {
        var items = new List<St>();
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        while (!end())
        {
            if (Cur.Kind == Tok.End) throw Error(Cur, "end of input inside a block");
            if (Cur.Kind == Tok.Ident && Peek().Text == ":" && Peek().Kind == Tok.Punct)
            {
                labels[Cur.Text] = items.Count;
                _p += 2;
                continue;
            }
            if (Is("guard") && Peek().Text == "(")
            {
                var (lk, unlock) = GuardHead(scoped: false);
                Expect(";");
                var rest = Items(end);
                items.Add(f => { lk(f.K); var c = rest(f); unlock(f.K); return c; });
                break;
            }
            items.Add(Statement());
        }
        var arr = items.ToArray();
        return f =>
        {
            var i = 0;
            while (i < arr.Length)
            {
                var c = arr[i](f);
                if (c == 0) { i++; continue; }
                if (c == 4 && labels.TryGetValue(f.Goto!, out var j)) { f.Goto = null; i = j; continue; }
                return c;
            }
            return 0;
        };
    }

    /// <summary>guard(mutex)(&amp;pgtable_split_lock), guard(cpus_read_lock)(), scoped_guard(mutex, &amp;pgtable_split_lock).</summary>
    private (Action<Kernel> Lock, Action<Kernel> Unlock) GuardHead(bool scoped)
    {
        var at = Cur;
        _p++;
        Expect("(");
        var kind = Cur.Text;
        _p++;
        if (!scoped) { Expect(")"); Expect("("); }
        var lockArg = false;
        if (Is(",") || (!scoped && Is("&"))) { if (Is(",")) _p++; Expect("&"); var n = _t[_p++]; lockArg = n.Text == "pgtable_split_lock"; if (!lockArg) throw Error(n, $"lock '{n.Text}' (not modelled)"); }
        Expect(")");
        return kind switch
        {
            "mutex" when lockArg => (k => k.MutexLock(KernelLocks.pgtable_split_lock), k => k.MutexUnlock(KernelLocks.pgtable_split_lock)),
            "cpus_read_lock" => (k => k.CpusReadLock(), k => k.CpusReadUnlock()),
            _ => throw Error(at, $"guard class '{kind}' (guards modelled: mutex on &pgtable_split_lock, cpus_read_lock)"),
        };
    }

    private bool IsTypeStart()
    {
        if (Cur.Kind != Tok.Ident) return false;
        if (_typeWords.Contains(Cur.Text)) return true;
        return Cur.Text.EndsWith("_t", StringComparison.Ordinal) && Peek().Kind is Tok.Ident || Cur.Text.EndsWith("_t", StringComparison.Ordinal) && Peek().Text == "*";
    }

    private St Statement()
    {
        var at = Cur;
        if (Cur.Kind == Tok.Directive) return Conditional();
        if (Is("{")) return Block();
        if (Is(";")) { _p++; return _ => 0; }
        if (IsTypeStart()) return Declaration();
        if (Cur.Kind == Tok.Ident)
        {
            switch (Cur.Text)
            {
                case "if":
                {
                    _p++;
                    Expect("(");
                    var c = Expr();
                    Expect(")");
                    var then = Statement();
                    St? els = null;
                    if (Is("else")) { _p++; els = Statement(); }
                    return els is null ? f => c(f) != 0 ? then(f) : 0 : f => c(f) != 0 ? then(f) : els(f);
                }
                case "while":
                {
                    _p++;
                    Expect("(");
                    var c = Expr();
                    Expect(")");
                    var body = Statement();
                    return f =>
                    {
                        while (c(f) != 0)
                        {
                            var r = body(f);
                            if (r == 2) break;
                            if (r is 1 or 4) return r;
                        }
                        return 0;
                    };
                }
                case "do":
                {
                    _p++;
                    var body = Statement();
                    Expect("while");
                    Expect("(");
                    var c = Expr();
                    Expect(")");
                    Expect(";");
                    return f =>
                    {
                        do
                        {
                            var r = body(f);
                            if (r == 2) break;
                            if (r is 1 or 4) return r;
                        } while (c(f) != 0);
                        return 0;
                    };
                }
                case "for":
                {
                    _p++;
                    Expect("(");
                    _scopes.Add([]);
                    St init = _ => 0;
                    if (IsTypeStart()) init = Declaration();
                    else if (!Is(";")) { var e = Expr(); init = f => { e(f); return 0; }; Expect(";"); }
                    else _p++;
                    Ex c = Is(";") ? _ => 1 : Expr();
                    Expect(";");
                    Ex step = Is(")") ? _ => 0 : Expr();
                    Expect(")");
                    var body = Statement();
                    _scopes.RemoveAt(_scopes.Count - 1);
                    return f =>
                    {
                        init(f);
                        for (; c(f) != 0; step(f))
                        {
                            var r = body(f);
                            if (r == 2) break;
                            if (r is 1 or 4) return r;
                        }
                        return 0;
                    };
                }
                case "return":
                {
                    _p++;
                    if (Is(";")) { _p++; return _ => 1; }
                    var e = Expr();
                    Expect(";");
                    return f => { f.Ret = e(f); return 1; };
                }
                case "goto":
                {
                    _p++;
                    var label = _t[_p++].Text;
                    Expect(";");
                    return f => { f.Goto = label; return 4; };
                }
                case "break": _p++; Expect(";"); return _ => 2;
                case "continue": _p++; Expect(";"); return _ => 3;
                case "scoped_guard":
                {
                    var (lk, unlock) = GuardHead(scoped: true);
                    var body = Statement();
                    return f => { lk(f.K); var r = body(f); unlock(f.K); return r == 2 ? 0 : r; };
                }
                case "switch" or "case" or "default" or "asm" or "__asm__":
                    throw Error(at, $"'{at.Text}'");
            }
        }
        var ex = Expr();
        Expect(";");
        return f => { ex(f); return 0; };
    }

    /// <summary>#ifdef/#ifndef/#if IS_ENABLED()/defined() CONFIG_… … #else … #endif inside a function: chosen from the machine.</summary>
    private St Conditional()
    {
        var d = Cur;
        var words = d.Text.TrimStart('#').Trim().Split([' ', '\t', '(', ')', '!'], StringSplitOptions.RemoveEmptyEntries);
        var neg = d.Text.Contains('!', StringComparison.Ordinal) || words[0] == "ifndef";
        if (words[0] is not ("ifdef" or "ifndef" or "if") || words.Length < 2)
            throw Error(d, $"directive '{d.Text}' inside a function");
        var sym = words.FirstOrDefault(w => w.StartsWith("CONFIG_", StringComparison.Ordinal))
            ?? throw Error(d, $"condition '{d.Text}' (only CONFIG_ symbols)");
        if (!KernelBindings.Configs.TryGetValue(sym, out var cfg))
            throw Error(d, $"unknown {sym} (known: {string.Join(", ", KernelBindings.Configs.Keys)})");
        _p++;
        static bool IsDir(Token t, string w) => t.Kind == Tok.Directive && t.Text.TrimStart('#').Trim().StartsWith(w, StringComparison.Ordinal);
        var then = Items(() => IsDir(Cur, "else") || IsDir(Cur, "endif"));
        St els = _ => 0;
        if (IsDir(Cur, "else")) { _p++; els = Items(() => IsDir(Cur, "endif")); }
        if (!IsDir(Cur, "endif")) throw Error(Cur, "#if without #endif");
        _p++;
        return f => cfg(f.K.Config) != neg ? then(f) : els(f);
    }

    private St Declaration()
    {
        var extern_ = false;
        while (Cur.Kind == Tok.Ident && (IsTypeStart() || _attrs.Contains(Cur.Text) || Cur.Text.EndsWith("_t", StringComparison.Ordinal)) && !(Peek().Text is "=" or "," or ";" or "["))
        {
            if (Cur.Text == "extern") extern_ = true;
            _p++;
        }
        var inits = new List<St>();
        while (true)
        {
            while (Is("*") || Is("const")) _p++;
            var name = Cur;
            if (name.Kind != Tok.Ident) throw Error(name, $"declarator '{name.Text}'");
            _p++;
            while (Cur.Kind == Tok.Ident && _attrs.Contains(Cur.Text)) _p++;
            if (Is("(")) { _p++; SkipBalancedTo(")"); if (!extern_) extern_ = true; }
            else if (Is("[")) throw Error(Cur, "array declarator");
            else if (!extern_)
            {
                var slot = _cur!.Slots++;
                if (Is("="))
                {
                    _p++;
                    var e = Assign();
                    _scopes[^1][name.Text] = slot;
                    inits.Add(f => { f.L[slot] = e(f); return 0; });
                }
                else
                {
                    _scopes[^1][name.Text] = slot;
                    inits.Add(f => { f.L[slot] = 0; return 0; });
                }
            }
            if (Is(",")) { _p++; continue; }
            Expect(";");
            break;
        }
        var arr = inits.ToArray();
        return arr.Length switch
        {
            0 => _ => 0,
            1 => arr[0],
            _ => f => { foreach (var s in arr) s(f); return 0; },
        };
    }

    // ---- Expressions ----

    private int? Local(string name)
    {
        for (var i = _scopes.Count - 1; i >= 0; i--)
            if (_scopes[i].TryGetValue(name, out var s)) return s;
        return null;
    }

    private Ex Expr()
    {
        var e = Assign();
        while (Is(","))
        {
            _p++;
            var a = e;
            var b = Assign();
            e = f => { a(f); return b(f); };
        }
        return e;
    }

    private Ex Assign()
    {
        if (Cur.Kind == Tok.Ident && Peek().Kind == Tok.Punct && Peek().Text is "=" or "+=" or "-=" or "|=" or "&=" or "^=" or "<<=" or ">>=")
        {
            var name = Cur;
            var slot = Local(name.Text) ?? throw Error(name, $"assignment to '{name.Text}' (only local variables; a version keeps no state)");
            _p++;
            var op = _t[_p++].Text;
            var v = Assign();
            return op switch
            {
                "=" => f => f.L[slot] = v(f),
                "+=" => f => f.L[slot] += v(f),
                "-=" => f => f.L[slot] -= v(f),
                "|=" => f => f.L[slot] |= v(f),
                "&=" => f => f.L[slot] &= v(f),
                "^=" => f => f.L[slot] ^= v(f),
                "<<=" => f => f.L[slot] <<= (int)v(f),
                _ => f => f.L[slot] = (long)((ulong)f.L[slot] >> (int)v(f)),
            };
        }
        return Ternary();
    }

    private Ex Ternary()
    {
        var c = Binary(0);
        if (!Is("?")) return c;
        _p++;
        if (Is(":"))
        {
            _p++;
            var e = Ternary();
            return f => c(f) is var v && v != 0 ? v : e(f);
        }
        var a = Expr();
        Expect(":");
        var b = Ternary();
        return f => c(f) != 0 ? a(f) : b(f);
    }

    private static readonly string[][] _levels =
    [
        ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", ">", "<=", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
    ];

    private Ex Binary(int level)
    {
        if (level == _levels.Length) return Unary();
        var e = Binary(level + 1);
        while (Cur.Kind == Tok.Punct && _levels[level].Contains(Cur.Text))
        {
            var op = _t[_p++];
            var a = e;
            var b = Binary(level + 1);
            e = op.Text switch
            {
                "||" => f => a(f) != 0 || b(f) != 0 ? 1 : 0,
                "&&" => f => a(f) != 0 && b(f) != 0 ? 1 : 0,
                "|" => f => a(f) | b(f),
                "^" => f => a(f) ^ b(f),
                "&" => f => a(f) & b(f),
                "==" => f => a(f) == b(f) ? 1 : 0,
                "!=" => f => a(f) != b(f) ? 1 : 0,
                "<" => f => a(f) < b(f) ? 1 : 0,
                ">" => f => a(f) > b(f) ? 1 : 0,
                "<=" => f => a(f) <= b(f) ? 1 : 0,
                ">=" => f => a(f) >= b(f) ? 1 : 0,
                "<<" => f => a(f) << (int)b(f),
                ">>" => f => (long)((ulong)a(f) >> (int)b(f)),
                "+" => f => a(f) + b(f),
                "-" => f => a(f) - b(f),
                "*" => f => a(f) * b(f),
                "/" => f => { var d = b(f); return d == 0 ? 0 : (long)((ulong)a(f) / (ulong)d); },
                _ => f => { var d = b(f); return d == 0 ? 0 : (long)((ulong)a(f) % (ulong)d); },
            };
        }
        return e;
    }

    private bool IsCast() =>
        Is("(") && Peek().Kind == Tok.Ident && (_typeWords.Contains(Peek().Text) || Peek().Text.EndsWith("_t", StringComparison.Ordinal));

    private Ex Unary()
    {
        var at = Cur;
        if (at.Kind == Tok.Punct)
        {
            switch (at.Text)
            {
                case "!": { _p++; var e = Unary(); return f => e(f) == 0 ? 1 : 0; }
                case "-": { _p++; var e = Unary(); return f => -e(f); }
                case "~": { _p++; var e = Unary(); return f => ~e(f); }
                case "+": { _p++; return Unary(); }
                case "*" or "&" or "++" or "--": throw Error(at, $"operator '{at.Text}' (no pointers or increments)");
                case "(" when IsCast():
                {
                    _p++;
                    var words = new List<string>();
                    while (!Is(")")) words.Add(_t[_p++].Text);
                    _p++;
                    var e = Unary();
                    return words.Contains("*") || words.Contains("long") || words.Contains("u64") || words.Contains("unsigned") && words.Count > 1 && words[^1] != "int"
                        ? e
                        : words.Contains("bool") ? f => e(f) != 0 ? 1 : 0
                        : words.Contains("int") || words.Contains("u32") || words.Contains("s32") ? f => (int)e(f)
                        : e;
                }
            }
        }
        return Primary();
    }

    private Ex Primary()
    {
        var at = Cur;
        if (at.Kind == Tok.Number) { _p++; var v = (long)at.Value; return _ => v; }
        if (at.Kind == Tok.String) { _p++; while (Cur.Kind == Tok.String) _p++; return _ => 0; }
        if (Is("("))
        {
            _p++;
            var e = Expr();
            Expect(")");
            return e;
        }
        if (at.Kind != Tok.Ident) throw Error(at, $"'{at.Text}' where an expression was expected");
        _p++;
        var name = at.Text;
        if (Is(".") || Is("->") || Is("[")) throw Error(Cur, $"'{Cur.Text}' after {name} (no structures or arrays)");
        if (Local(name) is { } slot) return f => f.L[slot];
        if (!Is("("))
        {
            if (KernelBindings.Table.TryGetValue(name, out var bv) && bv.IsVariable)
            {
                _firstBound ??= name;
                var fn = bv.Fn;
                return f => fn(f.K, 0, 0);
            }
            throw Unknown(at);
        }
        _p++;
        switch (name)
        {
            case "likely" or "unlikely":
            {
                var e = Expr();
                Expect(")");
                return e;
            }
            case "IS_ENABLED":
            {
                var sym = _t[_p++];
                Expect(")");
                if (!KernelBindings.Configs.TryGetValue(sym.Text, out var cfg))
                    throw Error(sym, $"unknown {sym.Text} (known: {string.Join(", ", KernelBindings.Configs.Keys)})");
                return f => cfg(f.K.Config) ? 1 : 0;
            }
            case "WARN_ON" or "WARN_ON_ONCE" or "WARN" or "WARN_ONCE":
            {
                var saved = _firstBound;
                _firstBound = null;
                var c = Assign();
                var guard = _firstBound ?? "warn";
                _firstBound = saved ?? guard;
                while (Is(",")) { _p++; Assign(); }
                Expect(")");
                return f => f.K.WarnOn(c(f) != 0, guard) ? 1 : 0;
            }
            case "pr_warn" or "pr_info" or "pr_err" or "pr_debug" or "pr_warn_once" or "pr_info_once" or "might_sleep" or "lockdep_assert_held" or "lockdep_assert_cpus_held":
                SkipBalancedTo(")");
                return _ => 0;
            case "stop_machine":
            {
                var fnName = Cur.Text;
                SkipBalancedTo(")");
                if (fnName != "linear_map_split_to_ptes") throw Error(at, $"stop_machine({fnName}, …) (only linear_map_split_to_ptes)");
                return f => { f.K.StopMachineLinearMapSplitToPtes(); return 0; };
            }
            case "mutex_lock" or "mutex_unlock":
            {
                Expect("&");
                var n = _t[_p++];
                if (n.Text != "pgtable_split_lock") throw Error(n, $"lock '{n.Text}' (not modelled; the model has pgtable_split_lock)");
                Expect(")");
                var fn = KernelBindings.Table[name].Fn;
                return f => fn(f.K, 0, 0);
            }
        }
        var args = new List<Ex>();
        while (!Is(")"))
        {
            args.Add(Assign());
            if (!Is(")")) Expect(",");
        }
        _p++;
        if (KernelBindings.Table.TryGetValue(name, out var b) && !b.IsVariable)
        {
            if (args.Count != b.Arity) throw Error(at, $"{name}() with {args.Count} argument(s), the model's takes {b.Arity}");
            _firstBound ??= name;
            var fn = b.Fn;
            if (b.Fn3 is { } fn3)
            {
                var (x, y, z) = (args[0], args[1], args[2]);
                return f => { var p = x(f); var q = y(f); return fn3(f.K, p, q, z(f)); };
            }

            return args.Count switch
            {
                0 => f => fn(f.K, 0, 0),
                1 => AsOne(fn, args[0]),
                _ => AsTwo(fn, args[0], args[1]),
            };
        }
        if (_fns.TryGetValue(name, out var callee))
        {
            if (args.Count != callee.ParamNames.Count) throw Error(at, $"{name}() with {args.Count} argument(s), defined with {callee.ParamNames.Count}");
            var a = args.ToArray();
            return f =>
            {
                long x = a.Length > 0 ? a[0](f) : 0, y = a.Length > 1 ? a[1](f) : 0;
                return callee.Invoke(f.K, x, y);
            };
        }
        throw Unknown(at);
    }

    private static Ex AsOne(Func<Kernel, long, long, long> fn, Ex a) => f => fn(f.K, a(f), 0);

    private static Ex AsTwo(Func<Kernel, long, long, long> fn, Ex a, Ex b) => f => { var x = a(f); return fn(f.K, x, b(f)); };

    private KernelCException Unknown(Token at)
    {
        var locals = _scopes.SelectMany(s => s.Keys);
        return new KernelCException($"{_file}:{at.Line}:{at.Col}: unknown name '{at.Text}' (not in the binding table; nearest: " +
            $"{KernelBindings.Nearest(at.Text, _fns.Keys.Concat(locals))})");
    }
}
