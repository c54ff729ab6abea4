using Confluent.Kafka;

namespace CryptoEtl.Contracts.Pipeline;

/// <summary>Builds dead letters that keep everything needed to inspect or replay the failed record.</summary>
public static class DeadLetters
{
    /// <summary>A Kafka record a stage could not process: its coordinates, key, value and headers, byte for byte.</summary>
    public static DeadLetter FromMessage(string stage, string reason, string? error, ConsumeResult<byte[]?, byte[]?> source, DateTimeOffset failedAt) => new()
    {
        Stage = stage,
        Reason = reason,
        Error = error,
        SourceTopic = source.Topic,
        SourcePartition = source.Partition.Value,
        SourceOffset = source.Offset.Value,
        Key = source.Message.Key,
        Payload = source.Message.Value ?? [],
        Headers = source.Message.Headers?.Select(h => new DeadLetterHeader(h.Key, h.GetValueBytes())).ToArray() ?? [],
        FailedAt = failedAt,
    };

    /// <summary>Input that never was a Kafka record, such as one coin's JSON from an API response.</summary>
    public static DeadLetter FromPayload(string stage, string reason, string? error, byte[] payload, DateTimeOffset failedAt, string? key = null) => new()
    {
        Stage = stage,
        Reason = reason,
        Error = error,
        Key = key is null ? null : System.Text.Encoding.UTF8.GetBytes(key),
        Payload = payload,
        FailedAt = failedAt,
    };
}
