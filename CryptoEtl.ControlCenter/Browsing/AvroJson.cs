using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Avro;
using Avro.Generic;
using Avro.IO;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.ControlCenter.Browsing;

/// <summary>
/// Any Confluent-framed Avro value as JSON, read with the schema it was written with (fetched from the registry by id),
/// so the browser shows a record exactly as written, whichever contract it breaks.
/// </summary>
public sealed class AvroJson(ISchemaRegistryClient registry)
{
    private readonly Dictionary<int, Task<Avro.Schema>> _schemas = [];

    /// <summary>The value as JSON, or null with why it cannot be read (not the wire format, unknown schema, undecodable).</summary>
    public async Task<(JsonNode? Json, int? SchemaId, string? Problem)> DecodeAsync(byte[]? value)
    {
        if (value is null || value.Length < WireFormat.HeaderLength || value[0] != WireFormat.MagicByte)
        {
            return (null, null, "not Confluent wire format");
        }

        var id = WireFormat.SchemaId(value);
        Avro.Schema schema;
        try
        {
            schema = await SchemaAsync(id);
        }
        catch (Exception e) when (e is SchemaRegistryException or AvroException)
        {
            return (null, id, $"schema id {id} cannot be used: {e.Message}");
        }

        try
        {
            using var stream = new MemoryStream(value, WireFormat.HeaderLength, value.Length - WireFormat.HeaderLength, writable: false);
            return (ToJson(new GenericDatumReader<object>(schema, schema).Read(null!, new BinaryDecoder(stream))), id, null);
        }
        catch (Exception e) when (e is AvroException or IOException or InvalidCastException or ArgumentException or OverflowException or IndexOutOfRangeException)
        {
            return (null, id, $"Avro decoding failed: {e.Message}");
        }
    }

    private Task<Avro.Schema> SchemaAsync(int id)
    {
        lock (_schemas)
        {
            if (!_schemas.TryGetValue(id, out var schema) || schema.IsFaulted)
            {
                _schemas[id] = schema = Fetch(id);
            }

            return schema;
        }

        async Task<Avro.Schema> Fetch(int schemaId) => Avro.Schema.Parse((await registry.GetSchemaAsync(schemaId)).SchemaString);
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        GenericRecord record => new JsonObject(record.Schema.Fields.Select(f => KeyValuePair.Create(f.Name, ToJson(record.GetValue(f.Pos))))),
        GenericEnum symbol => JsonValue.Create(symbol.Value),
        GenericFixed fixedValue => JsonValue.Create(Convert.ToHexString(fixedValue.Value)),
        byte[] bytes => JsonValue.Create(Convert.ToHexString(bytes)),
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        int number => JsonValue.Create(number),
        long number => JsonValue.Create(number),
        float number => float.IsFinite(number) ? JsonValue.Create(number) : JsonValue.Create(number.ToString(CultureInfo.InvariantCulture)),
        double number => double.IsFinite(number) ? JsonValue.Create(number) : JsonValue.Create(number.ToString(CultureInfo.InvariantCulture)),
        decimal number => JsonValue.Create(number),
        DateTime time => JsonValue.Create(new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture)),
        IDictionary map => new JsonObject(map.Keys.Cast<object>().Select(k => KeyValuePair.Create(k.ToString()!, ToJson(map[k])))),
        IEnumerable items => new JsonArray([.. items.Cast<object?>().Select(ToJson)]),
        _ => JsonValue.Create(value.ToString()),
    };
}
