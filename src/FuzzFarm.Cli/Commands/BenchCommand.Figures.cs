using System.Globalization;
using System.Text.Json;

namespace FuzzFarm.Cli.Commands;

/// <summary>The benchmark's figures: a key → value table, printed and written as JSON.</summary>
internal static partial class BenchCommand
{
    internal sealed class Figures
    {
        public Dictionary<string, object?> Values { get; } = [];

        public object? this[string key]
        {
            get => Values.GetValueOrDefault(key);
            set => Values[key] = value;
        }

        public static Figures FromJson(string json)
        {
            var f = new Figures();
            using var doc = JsonDocument.Parse(json);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                f[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.Number => p.Value.GetDouble(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.String => p.Value.GetString(),
                    _ => null,
                };
            }

            return f;
        }
    }

    private static void WriteTable(TextWriter w, Figures f)
    {
        string V(string k) => f[k] switch
        {
            null => "null",
            double d => d.ToString("G6", CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            var o => o.ToString() ?? "null",
        };
        w.WriteLine();
        w.WriteLine("figure                                   value");
        w.WriteLine("---------------------------------------  ------------");
        foreach (var (k, _) in f.Values) w.WriteLine($"{k,-39}  {V(k)}");
    }

    private static string Json(Figures f)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            foreach (var (k, v) in f.Values)
            {
                switch (v)
                {
                    case null: j.WriteNull(k); break;
                    case bool b: j.WriteBoolean(k, b); break;
                    case double d when double.IsFinite(d): j.WriteNumber(k, d); break;
                    case double: j.WriteNull(k); break;
                    case int i: j.WriteNumber(k, i); break;
                    case long l: j.WriteNumber(k, l); break;
                    default: j.WriteString(k, v.ToString()); break;
                }
            }

            j.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}
