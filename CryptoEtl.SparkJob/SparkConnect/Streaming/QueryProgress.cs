using System.Globalization;
using System.Text.Json;

namespace CryptoEtl.SparkJob.SparkConnect.Streaming;

/// <summary>What matters of Spark's StreamingQueryProgress JSON for an operator: which batch, how fast, the watermark, the state.</summary>
public sealed record QueryProgress(
    long BatchId,
    string? Timestamp,
    long InputRows,
    double? InputRowsPerSecond,
    double? ProcessedRowsPerSecond,
    string? Watermark,
    long StateRows,
    long RowsDroppedByWatermark)
{
    public static QueryProgress Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        long stateRows = 0, dropped = 0;
        if (root.TryGetProperty("stateOperators", out var operators) && operators.ValueKind == JsonValueKind.Array)
        {
            foreach (var op in operators.EnumerateArray())
            {
                stateRows += Long(op, "numRowsTotal") ?? 0;
                dropped += Long(op, "numRowsDroppedByWatermark") ?? 0;
            }
        }

        return new QueryProgress(
            Long(root, "batchId") ?? -1,
            String(root, "timestamp"),
            Long(root, "numInputRows") ?? 0,
            Double(root, "inputRowsPerSecond"),
            Double(root, "processedRowsPerSecond"),
            root.TryGetProperty("eventTime", out var eventTime) ? String(eventTime, "watermark") : null,
            stateRows,
            dropped);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"batch {BatchId} at {Timestamp ?? "?"}: {InputRows} rows in, {InputRowsPerSecond?.ToString("0.#", CultureInfo.InvariantCulture) ?? "-"} rows/s in, "
        + $"{ProcessedRowsPerSecond?.ToString("0.#", CultureInfo.InvariantCulture) ?? "-"} rows/s processed, watermark {Watermark ?? "-"}, "
        + $"{StateRows} state rows, {RowsDroppedByWatermark} late rows dropped");

    private static long? Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static double? Double(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
