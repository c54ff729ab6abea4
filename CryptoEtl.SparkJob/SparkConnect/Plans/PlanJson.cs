using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;

namespace CryptoEtl.SparkJob.SparkConnect.Plans;

/// <summary>Plans as protobuf JSON (field names as in Spark's .proto files), for the plan command and the golden tests.</summary>
public static class PlanJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithIndentation("  "));

    public static string Format(IMessage message) => Formatter.Format(message);

    /// <summary>The queries as one JSON array: name, topic, output mode, checkpoint and plan of each.</summary>
    public static string Document(IEnumerable<SparkQuery> queries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartArray();
            foreach (var query in queries)
            {
                writer.WriteStartObject();
                writer.WriteString("name", query.Name);
                writer.WriteString("topic", query.Topic);
                writer.WriteString("outputMode", query.OutputMode);
                writer.WriteString("checkpointLocation", query.CheckpointLocation);
                writer.WritePropertyName("plan");
                using var plan = JsonDocument.Parse(Format(query.Plan));
                plan.RootElement.WriteTo(writer);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
