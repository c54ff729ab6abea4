using Avro;
using Avro.Generic;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Contracts.Pipeline;

/// <summary>A record a stage could not process, kept with its reason and raw bytes (DeadLetter.avsc).</summary>
public sealed record DeadLetter : IAvroContract<DeadLetter>
{
    public required string Stage { get; init; }

    /// <summary>A short, countable reason such as <c>invalid_price</c>, <c>undecodable</c> or <c>late</c>.</summary>
    public required string Reason { get; init; }
    public string? Error { get; init; }
    public string? SourceTopic { get; init; }
    public int? SourcePartition { get; init; }
    public long? SourceOffset { get; init; }
    public byte[]? Key { get; init; }
    public required byte[] Payload { get; init; }
    public IReadOnlyList<DeadLetterHeader> Headers { get; init; } = [];
    public required DateTimeOffset FailedAt { get; init; }

    public static RecordSchema Schema => ContractSchemas.Load(nameof(DeadLetter));

    public GenericRecord ToAvro()
    {
        var schema = Schema;
        var headerSchema = schema.ArrayItemRecord("headers");
        var record = new GenericRecord(schema);
        record.Add("stage", Stage);
        record.Add("reason", Reason);
        record.Add("error", Error);
        record.Add("source_topic", SourceTopic);
        record.Add("source_partition", SourcePartition);
        record.Add("source_offset", SourceOffset);
        record.Add("key", Key);
        record.Add("payload", Payload);
        record.Add("headers", Headers.Select(h =>
        {
            var header = new GenericRecord(headerSchema);
            header.Add("key", h.Key);
            header.Add("value", h.Value);
            return (object)header;
        }).ToArray());
        record.Add("failed_at", FailedAt.UtcDateTime);
        return record;
    }

    /// <summary>A dead letter holds whatever failed, so nothing about its content can break a contract.</summary>
    public static string? Violation(DeadLetter value, DateTimeOffset now) => null;

    public static DeadLetter FromAvro(GenericRecord record) => new()
    {
        Stage = record.String("stage"),
        Reason = record.String("reason"),
        Error = record.NullableString("error"),
        SourceTopic = record.NullableString("source_topic"),
        SourcePartition = record.NullableInt("source_partition"),
        SourceOffset = record.NullableLong("source_offset"),
        Key = record.NullableBytes("key"),
        Payload = record.Bytes("payload"),
        Headers = record.Array("headers").Cast<GenericRecord>()
            .Select(h => new DeadLetterHeader(h.String("key"), h.NullableBytes("value")))
            .ToArray(),
        FailedAt = record.Timestamp("failed_at"),
    };
}

public sealed record DeadLetterHeader(string Key, byte[]? Value);
