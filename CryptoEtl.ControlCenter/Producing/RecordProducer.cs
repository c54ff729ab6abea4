using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Producing;

/// <summary>A record to write from the console: its key, its headers, its value as JSON, and optionally its partition.</summary>
public sealed record ProduceRequest(string? Key, JsonObject? Value, Dictionary<string, string>? Headers, int? Partition);

/// <summary>Where the record was written, and with which schema.</summary>
public sealed record ProducedRecord(string Topic, int Partition, long Offset, string Subject, int SchemaVersion, int SchemaId);

/// <summary>Why a record was not written: a 4xx status and what to fix (each field that does not fit the schema).</summary>
public sealed record ProduceRefusal(int Status, string Title, string Detail, IReadOnlyList<string> Errors);

/// <summary>
/// Writes a record to a topic the way the pipeline's producers do: the value Avro-encoded with the latest schema of the
/// topic's value subject (<c>&lt;topic&gt;-value</c>, Confluent's TopicNameStrategy) in Confluent's wire format, by an
/// idempotent producer that waits for every in-sync replica. A value that does not fit the schema is refused with every
/// field at fault; nothing is registered.
/// </summary>
public sealed class RecordProducer(KafkaClientFactory kafka, ISchemaRegistryClient registry) : IDisposable
{
    public const int MaxHeaders = 32;

    /// <summary>The registry's error code for a subject it does not have.</summary>
    private const int SubjectNotFound = 40401;

    private readonly Lazy<IProducer<byte[]?, byte[]?>> _producer = new(() => kafka.CreateProducer<byte[]?, byte[]?>(kafka.ProducerConfig("control-center-producer")));

    public async Task<(ProducedRecord? Written, ProduceRefusal? Refused)> ProduceAsync(string topic, int partitions, ProduceRequest request, CancellationToken cancellation)
    {
        if (request.Value is null)
        {
            return (null, Invalid("value is required: the record's value as a JSON object."));
        }

        if (request.Partition is { } partition && (partition < 0 || partition >= partitions))
        {
            return (null, Invalid($"partition must be between 0 and {partitions - 1} for {topic} (got {partition})."));
        }

        if (request.Headers is { Count: > MaxHeaders })
        {
            return (null, Invalid($"at most {MaxHeaders} headers (got {request.Headers.Count})."));
        }

        var subject = $"{topic}-value";
        RegisteredSchema latest;
        try
        {
            latest = await registry.GetLatestSchemaAsync(subject);
        }
        catch (SchemaRegistryException e) when (e.ErrorCode == SubjectNotFound)
        {
            return (null, new ProduceRefusal(StatusCodes.Status422UnprocessableEntity, "No schema",
                $"There is no subject \"{subject}\": the console writes Avro with the topic's registered value schema only.", []));
        }

        if (Avro.Schema.Parse(latest.SchemaString) is not Avro.RecordSchema schema)
        {
            return (null, new ProduceRefusal(StatusCodes.Status422UnprocessableEntity, "Not a record schema", $"{subject} v{latest.Version} is not an Avro record.", []));
        }

        var (bytes, errors) = AvroJsonEncoder.Encode(request.Value, schema, latest.Id);
        if (bytes is null)
        {
            return (null, new ProduceRefusal(StatusCodes.Status400BadRequest, "Does not fit the schema",
                $"The value does not fit {subject} v{latest.Version}: {errors.Count} problem(s).", errors));
        }

        var message = new Message<byte[]?, byte[]?>
        {
            Key = request.Key is null ? null : Encoding.UTF8.GetBytes(request.Key),
            Value = bytes,
            Headers = [.. (request.Headers ?? []).Select(h => new Header(h.Key, Encoding.UTF8.GetBytes(h.Value)))],
        };
        var result = request.Partition is { } chosen
            ? await _producer.Value.ProduceAsync(new TopicPartition(topic, chosen), message, cancellation)
            : await _producer.Value.ProduceAsync(topic, message, cancellation);
        return (new ProducedRecord(topic, result.Partition.Value, result.Offset.Value, subject, latest.Version, latest.Id), null);
    }

    private static ProduceRefusal Invalid(string detail) => new(StatusCodes.Status400BadRequest, "Invalid record", detail, []);

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Flush(TimeSpan.FromSeconds(5));
            _producer.Value.Dispose();
        }
    }
}
