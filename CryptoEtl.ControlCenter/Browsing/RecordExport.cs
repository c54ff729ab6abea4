using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CryptoEtl.ControlCenter.Browsing;

/// <summary>Browsed records as a file: JSON lines (one record a line, as the API shows it) or CSV (one column a value field).</summary>
public static class RecordExport
{
    public static readonly string[] Formats = ["jsonl", "csv"];

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static string ContentType(string format) => format == "csv" ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8";

    public static string Write(IReadOnlyList<MessageView> records, string format) => format == "csv" ? Csv(records) : JsonLines(records);

    private static string JsonLines(IReadOnlyList<MessageView> records)
    {
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append(JsonSerializer.Serialize(new { record.Partition, record.Offset, record.Timestamp, record.Key, record.Headers, record.SchemaId, record.Value, record.Undecodable, record.Raw }, Web))
                .Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// partition, offset, timestamp, key, then the value's top-level fields in the order first seen (a nested value as
    /// its JSON), and why a value could not be decoded; RFC 4180 quoting.
    /// </summary>
    private static string Csv(IReadOnlyList<MessageView> records)
    {
        var fields = records.SelectMany(r => r.Value is JsonObject value ? value.Select(f => f.Key) : []).Distinct().ToList();
        var text = new StringBuilder();
        Line(text, ["partition", "offset", "timestamp", "key", .. fields, "undecodable"]);
        foreach (var record in records)
        {
            var value = record.Value as JsonObject;
            Line(text, [record.Partition.ToString(CultureInfo.InvariantCulture), record.Offset.ToString(CultureInfo.InvariantCulture),
                record.Timestamp.ToString("O", CultureInfo.InvariantCulture), record.Key,
                .. fields.Select(f => value?[f] switch
                {
                    null => null,
                    JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                    var other => other.ToJsonString(),
                }),
                record.Undecodable is null ? null : $"{record.Undecodable}: {record.Raw}"]);
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, IEnumerable<string?> cells)
    {
        text.AppendJoin(',', cells.Select(c => c is null ? "" : c.IndexOfAny([',', '"', '\n', '\r']) < 0 ? c : $"\"{c.Replace("\"", "\"\"", StringComparison.Ordinal)}\""));
        text.Append("\r\n");
    }
}
