using Avro;
using Avro.Generic;

namespace CryptoEtl.Contracts.Serialization;

/// <summary>Typed reads of a <see cref="GenericRecord"/>, with a clear error when a field does not hold what the contract says.</summary>
internal static class GenericRecordExtensions
{
    public static string String(this GenericRecord record, string field) => record.Required<string>(field);

    public static double Double(this GenericRecord record, string field) => record.Required<double>(field);

    public static int Int(this GenericRecord record, string field) => record.Required<int>(field);

    public static long Long(this GenericRecord record, string field) => record.Required<long>(field);

    public static bool Bool(this GenericRecord record, string field) => record.Required<bool>(field);

    public static byte[] Bytes(this GenericRecord record, string field) => record.Required<byte[]>(field);

    public static DateTimeOffset Timestamp(this GenericRecord record, string field) => ToOffset(record.Required<DateTime>(field));

    public static string? NullableString(this GenericRecord record, string field) => record.Optional<string>(field);

    public static double? NullableDouble(this GenericRecord record, string field) =>
        record.Value(field) is { } value ? Cast<double>(field, value) : null;

    public static int? NullableInt(this GenericRecord record, string field) =>
        record.Value(field) is { } value ? Cast<int>(field, value) : null;

    public static long? NullableLong(this GenericRecord record, string field) =>
        record.Value(field) is { } value ? Cast<long>(field, value) : null;

    public static DateTimeOffset? NullableTimestamp(this GenericRecord record, string field) =>
        record.Value(field) is { } value ? ToOffset(Cast<DateTime>(field, value)) : null;

    public static byte[]? NullableBytes(this GenericRecord record, string field) => record.Optional<byte[]>(field);

    public static GenericRecord? NullableRecord(this GenericRecord record, string field) => record.Optional<GenericRecord>(field);

    public static TEnum Enum<TEnum>(this GenericRecord record, string field) where TEnum : struct, Enum
    {
        var symbol = record.Required<GenericEnum>(field).Value;
        foreach (var value in System.Enum.GetValues<TEnum>())
        {
            if (SameSymbol(symbol, value.ToString()))
            {
                return value;
            }
        }

        throw new AvroException($"Field '{field}' holds the unknown symbol '{symbol}' for {typeof(TEnum).Name}.");
    }

    public static object[] Array(this GenericRecord record, string field) => record.Required<object[]>(field);

    /// <summary>Avro symbols are snake_case ("window_move"), C# members PascalCase (WindowMove): they match ignoring case and '_'.</summary>
    public static GenericEnum ToAvroEnum<TEnum>(this RecordSchema schema, string field, TEnum value) where TEnum : struct, Enum
    {
        var enumSchema = (EnumSchema)schema[field].Schema;
        var name = value.ToString();
        return new GenericEnum(enumSchema, enumSchema.Symbols.FirstOrDefault(s => SameSymbol(s, name))
            ?? throw new AvroException($"{typeof(TEnum).Name}.{name} has no symbol in {enumSchema.Fullname}."));
    }

    private static bool SameSymbol(string avroSymbol, string member) =>
        string.Equals(avroSymbol.Replace("_", "", StringComparison.Ordinal), member, StringComparison.OrdinalIgnoreCase);

    /// <summary>The schema of a record nested in a nullable union field.</summary>
    public static RecordSchema NestedRecord(this RecordSchema schema, string field) =>
        schema[field].Schema is UnionSchema union
            ? union.Schemas.OfType<RecordSchema>().Single()
            : (RecordSchema)schema[field].Schema;

    /// <summary>The item schema of an array field whose items are records.</summary>
    public static RecordSchema ArrayItemRecord(this RecordSchema schema, string field) =>
        (RecordSchema)((ArraySchema)schema[field].Schema).ItemSchema;

    private static DateTimeOffset ToOffset(DateTime value) =>
        new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static object? Value(this GenericRecord record, string field) =>
        record.TryGetValue(field, out var value)
            ? value
            : throw new AvroException($"The record {record.Schema.Fullname} has no field '{field}'.");

    private static T Required<T>(this GenericRecord record, string field) =>
        record.Value(field) is { } value
            ? Cast<T>(field, value)
            : throw new AvroException($"Field '{field}' of {record.Schema.Fullname} is null but the contract requires a value.");

    private static T? Optional<T>(this GenericRecord record, string field) where T : class =>
        record.Value(field) is { } value ? Cast<T>(field, value) : null;

    private static T Cast<T>(string field, object value) =>
        value is T typed
            ? typed
            : throw new AvroException($"Field '{field}' holds a {value.GetType().Name} where the contract expects {typeof(T).Name}.");
}
