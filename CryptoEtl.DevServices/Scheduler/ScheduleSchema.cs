using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace CryptoEtl.DevServices.Scheduler;

/// <summary>
/// The schedule file's JSON Schema (docker/airflow/dags/crypto_etl_schedule.schema.json, embedded), which the Airflow
/// DAG reads too: the fields in the order they are checked, which are required, each field's rules (validated by
/// JsonSchema.Net) and the message for each rule, in the order the rules are reported.
/// </summary>
internal static partial class ScheduleSchema
{
    private static readonly JsonObject Schema = Load();

    private static readonly JsonObject Properties = Schema["properties"]!.AsObject();

    private static readonly Dictionary<string, JsonSchema> FieldSchemas = Properties.ToDictionary(p => p.Key, p => Build(p.Value!.AsObject()));

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IReadOnlyList<string> Fields { get; } = [.. Properties.Select(p => p.Key)];

    public static IReadOnlySet<string> Required { get; } = Schema["required"]!.AsArray().Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

    public static Regex EnvironmentName { get; } = new(Properties["environments"]!["propertyNames"]!["pattern"]!.GetValue<string>(), RegexOptions.CultureInvariant);

    /// <summary>What breaks the schema's rules for this field, as the schema words it, or null.</summary>
    public static string? Problem(string field, JsonElement value)
    {
        var results = FieldSchemas[field].Evaluate(value, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return null;
        }

        // Each failure by its rule, the keyword's path in the field's schema ("type", "items/enum"); the first of each kept.
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in (IEnumerable<EvaluationResults>?)results.Details ?? [results])
        {
            foreach (var keyword in node.Errors?.Keys ?? Enumerable.Empty<string>())
            {
                failed.TryAdd(string.Join('/', node.EvaluationPath.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries).Append(keyword)), node.InstanceLocation.ToString());
            }
        }

        return Messages(field).Select(m => m.Key).FirstOrDefault(failed.ContainsKey) is { } rule
            ? Message(field, rule, value, Item(value, failed[rule]))
            : null;
    }

    /// <summary>The schema's message for a field's rule, its placeholders filled.</summary>
    public static string Message(string field, string rule, JsonElement value, JsonElement? item = null)
    {
        var schema = Properties[field]!.AsObject();
        var enumValues = schema["items"]?["enum"]?.AsArray().Select(e => e!.GetValue<string>()) ?? [];
        return Placeholder().Replace(Messages(field)[rule]!.GetValue<string>(), match => match.Groups[1].Value switch
        {
            "got" => Got(value),
            "shown" => Shown(value),
            "minimum" => schema["minimum"]!.ToJsonString(),
            "maximum" => schema["maximum"]!.ToJsonString(),
            "enum" => string.Join(", ", enumValues),
            "item" => item is { } i ? Shown(i) : "",
            var unknown => throw new InvalidOperationException($"The schedule schema's message for {field}/{rule} has an unknown placeholder {{{unknown}}}."),
        });
    }

    public static string TypeOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Number => IntegerLiteral().IsMatch(value.GetRawText()) ? "integer" : "number",
        JsonValueKind.String => "string",
        JsonValueKind.Array => "array",
        _ => "object",
    };

    public static string Got(JsonElement value) => value.ValueKind == JsonValueKind.Null ? "got null" : $"got {TypeOf(value)} {Shown(value)}";

    /// <summary>The value as compact JSON, cut to 57 characters and "..." when longer than 60.</summary>
    public static string Shown(JsonElement value)
    {
        var text = JsonSerializer.Serialize(value, Compact);
        return text.Length <= 60 ? text : text[..57] + "...";
    }

    public static bool IsIntegerField(string field) => Properties[field]!["type"]?.GetValue<string>() == "integer";

    private static JsonObject Messages(string field) => Properties[field]!["x-messages"]?.AsObject() ?? [];

    /// <summary>The array item an instance location such as "/2" points at.</summary>
    private static JsonElement? Item(JsonElement value, string location) =>
        value.ValueKind == JsonValueKind.Array && int.TryParse(location.TrimStart('/'), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < value.GetArrayLength()
            ? value[index]
            : null;

    private static JsonObject Load()
    {
        using var stream = typeof(ScheduleSchema).Assembly.GetManifestResourceStream("CryptoEtl.DevServices.Scheduler.schedule.schema.json")
            ?? throw new InvalidOperationException("The schedule file's JSON Schema is not embedded.");
        return JsonNode.Parse(stream)!.AsObject();
    }

    /// <summary>One field's schema on its own, in the file's draft (which allows the x-messages keyword).</summary>
    private static JsonSchema Build(JsonObject field) =>
        JsonSchema.FromText(field.ToJsonString(), new BuildOptions { Dialect = Dialect.Draft07 });

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex IntegerLiteral();

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();
}
