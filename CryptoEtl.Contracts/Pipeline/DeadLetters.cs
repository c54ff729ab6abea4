using System.Text;
using Confluent.Kafka;

namespace CryptoEtl.Contracts.Pipeline;

/// <summary>
/// Builds dead letters that keep everything needed to inspect or replay the failed record, cut to fit the dead-letter
/// topic when the record itself was too big for it (a dead letter that cannot be sent would stop the stage). A cut is
/// never silent: the error says what was cut and the header <see cref="TruncatedHeader"/> holds the original sizes.
/// </summary>
public static class DeadLetters
{
    /// <summary>Set on a dead letter whose key, payload or headers were cut: "payload=1048600,key=0,headers=0" (original bytes).</summary>
    public const string TruncatedHeader = "cryptoetl-truncated";

    /// <summary>librdkafka's default <c>message.max.bytes</c>, for producers that do not set it.</summary>
    public const int DefaultMaxMessageBytes = 1_000_000;

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
        Key = key is null ? null : Encoding.UTF8.GetBytes(key),
        Payload = payload,
        FailedAt = failedAt,
    };

    /// <summary>
    /// Cuts what would make the dead letter too big for a producer whose <c>message.max.bytes</c> is
    /// <paramref name="maxMessageBytes"/>: the payload to half of it, the key to a sixteenth, the headers and the error
    /// to an eighth each; says what was cut in the error and in the <see cref="TruncatedHeader"/> header.
    /// </summary>
    public static DeadLetter Fit(DeadLetter letter, int maxMessageBytes = DefaultMaxMessageBytes)
    {
        int maxPayload = maxMessageBytes / 2, maxKey = maxMessageBytes / 16, maxHeaders = maxMessageBytes / 8, maxError = maxMessageBytes / 8;
        var headerBytes = letter.Headers.Sum(HeaderBytes);
        var keyBytes = letter.Key?.Length ?? 0;
        var error = letter.Error is { Length: var length } text && length > maxError ? $"{text[..maxError]}…" : letter.Error;
        if (letter.Payload.Length <= maxPayload && keyBytes <= maxKey && headerBytes <= maxHeaders)
        {
            return letter with { Error = error };
        }

        var headers = new List<DeadLetterHeader>();
        var kept = 0;
        foreach (var header in letter.Headers)
        {
            kept += HeaderBytes(header);
            if (kept > maxHeaders)
            {
                break;
            }

            headers.Add(header);
        }

        var sizes = $"payload={letter.Payload.Length},key={keyBytes},headers={headerBytes}";
        headers.Add(new DeadLetterHeader(TruncatedHeader, Encoding.ASCII.GetBytes(sizes)));
        return letter with
        {
            Payload = letter.Payload.Length > maxPayload ? letter.Payload[..maxPayload] : letter.Payload,
            Key = keyBytes > maxKey ? letter.Key![..maxKey] : letter.Key,
            Headers = headers,
            Error = $"{error} [cut to fit the dead-letter topic; original sizes in bytes: {sizes}]".TrimStart(),
        };
    }

    private static int HeaderBytes(DeadLetterHeader header) => header.Key.Length + (header.Value?.Length ?? 0);
}
