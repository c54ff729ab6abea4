using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Avro;
using Avro.Generic;
using Avro.IO;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.ControlCenter.Producing;

/// <summary>
/// A JSON value as an Avro record of a schema, in Confluent's wire format: the reverse of the browser's decoding
/// (<see cref="Browsing.AvroJson"/>), so a record shown can be edited and written back. Unions take the value bare (the
/// first branch it fits), timestamps an ISO 8601 time or epoch milliseconds, bytes and fixed hex, and floating point
/// also "NaN" and "Infinity" (a broken record can be reproduced). Every field that does not fit is reported by its path.
/// </summary>
public static class AvroJsonEncoder
{
    /// <summary>The encoded record, or the list of what does not fit the schema (empty when it fits).</summary>
    public static (byte[]? Bytes, IReadOnlyList<string> Errors) Encode(JsonNode? value, RecordSchema schema, int schemaId)
    {
        var errors = new List<string>();
        var datum = Convert(value, schema, "value", errors);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        using var stream = new MemoryStream();
        WireFormat.WriteHeader(stream, schemaId);
        new GenericDatumWriter<object?>(schema).Write(datum, new BinaryEncoder(stream));
        return (stream.ToArray(), []);
    }

    private static object? Convert(JsonNode? node, Schema schema, string path, List<string> errors)
    {
        object? Fail(string expected)
        {
            errors.Add($"{path}: expected {expected}, got {Describe(node)}.");
            return null;
        }

        switch (schema)
        {
            case UnionSchema union:
                foreach (var branch in union.Schemas)
                {
                    var attempt = new List<string>();
                    var converted = Convert(node, branch, path, attempt);
                    if (attempt.Count == 0)
                    {
                        return converted;
                    }
                }

                return Fail($"one of {string.Join(", ", union.Schemas.Select(Name))}");
            case RecordSchema record:
                if (node is not JsonObject json)
                {
                    return Fail($"an object ({record.Name})");
                }

                var result = new GenericRecord(record);
                foreach (var field in record.Fields)
                {
                    if (json.TryGetPropertyValue(field.Name, out var fieldValue))
                    {
                        result.Add(field.Pos, Convert(fieldValue, field.Schema, $"{path}.{field.Name}", errors));
                    }
                    else if (field.DefaultValue is not null)
                    {
                        result.Add(field.Pos, Convert(JsonNode.Parse(field.DefaultValue.ToString(Newtonsoft.Json.Formatting.None)), field.Schema is UnionSchema u ? u.Schemas[0] : field.Schema, $"{path}.{field.Name}", errors));
                    }
                    else
                    {
                        errors.Add($"{path}.{field.Name}: required ({Name(field.Schema)}), missing.");
                    }
                }

                foreach (var unknown in json.Select(p => p.Key).Where(k => !record.Fields.Any(f => f.Name == k)))
                {
                    errors.Add($"{path}.{unknown}: not a field of {record.Name}.");
                }

                return result;
            case EnumSchema symbols:
                return Text(node) is { } symbol && symbols.Symbols.Contains(symbol) ? new GenericEnum(symbols, symbol) : Fail($"one of {string.Join(", ", symbols.Symbols)}");
            case ArraySchema array:
                return node is JsonArray items ? items.Select((item, i) => Convert(item, array.ItemSchema, $"{path}[{i}]", errors)).ToArray() : Fail("an array");
            case MapSchema map:
                return node is JsonObject entries ? entries.ToDictionary(e => e.Key, e => Convert(e.Value, map.ValueSchema, $"{path}.{e.Key}", errors)) : Fail("an object (map)");
            case FixedSchema fixedSchema:
                return Hex(node) is { } fixedBytes && fixedBytes.Length == fixedSchema.Size ? new GenericFixed(fixedSchema, fixedBytes) : Fail($"{fixedSchema.Size} bytes as hex");
            case LogicalSchema { LogicalTypeName: "timestamp-millis" or "timestamp-micros" } time:
                return Time(node) is { } at ? at.UtcDateTime : Fail($"a time ({time.LogicalTypeName}) such as 2026-12-07T10:00:00Z");
            case LogicalSchema logical:
                return Convert(node, logical.BaseSchema, path, errors);
            case PrimitiveSchema primitive:
                return primitive.Tag switch
                {
                    Schema.Type.Null => node is null ? null : Fail("null"),
                    Schema.Type.Boolean => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : Fail("true or false"),
                    Schema.Type.Int => Number(node) is { } n && n == Math.Floor(n) && n is >= int.MinValue and <= int.MaxValue ? (int)n : Fail("a whole number (int)"),
                    Schema.Type.Long => Whole(node) is { } l ? l : Fail("a whole number (long)"),
                    Schema.Type.Float => Floating(node) is { } f ? (float)f : Fail("a number (float)"),
                    Schema.Type.Double => Floating(node) is { } d ? d : Fail("a number (double)"),
                    Schema.Type.String => Text(node) ?? Fail("text (string)"),
                    Schema.Type.Bytes => Hex(node) ?? Fail("bytes as hex"),
                    _ => Fail(primitive.Name),
                };
            default:
                return Fail(schema.Name);
        }
    }

    private static string Name(Schema schema) => schema is LogicalSchema logical ? logical.LogicalTypeName : schema.Name;

    private static string Describe(JsonNode? node) => node is null ? "null" : node.ToJsonString() is var text && text.Length <= 60 ? text : text[..60] + "…";

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null;

    private static long? Whole(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;

    private static double? Floating(JsonNode? node) => Number(node) ?? Text(node) switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => null,
    };

    private static DateTimeOffset? Time(JsonNode? node) =>
        Whole(node) is { } millis ? DateTimeOffset.FromUnixTimeMilliseconds(millis)
        : Text(node) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at
        : null;

    private static byte[]? Hex(JsonNode? node)
    {
        try
        {
            return Text(node) is { } text ? System.Convert.FromHexString(text) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
