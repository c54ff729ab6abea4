using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;

using CryptoEtl.Contracts.Pipeline;

namespace CryptoEtl.Contracts.Serialization;

/// <summary>
/// Reads a contract from raw message bytes. A record that can never be read (not the wire format, an unknown schema id,
/// bytes that do not decode, values that break the contract) comes back as a failure with a reason, for the dead-letter topic.
/// A registry that cannot be reached is not the record's fault: that throws, so the stage retries instead of dead-lettering.
/// </summary>
public sealed class ContractDecoder<T> where T : IAvroContract<T>
{
    private readonly AvroDeserializer<GenericRecord> _inner;

    public ContractDecoder(ISchemaRegistryClient registry) =>
        _inner = new AvroDeserializer<GenericRecord>(registry, new AvroDeserializerConfig { SubjectNameStrategy = SubjectNameStrategy.Topic });

    public async Task<Decoded<T>> DecodeAsync(byte[]? value, string topic)
    {
        if (value is null || value.Length < WireFormat.HeaderLength || value[0] != WireFormat.MagicByte)
        {
            return Decoded<T>.Failed(DeadLetterReasons.NotWireFormat,
                value is null ? "The message has no value." : $"The value ({value.Length} bytes) does not start with the Confluent wire-format header.");
        }

        GenericRecord record;
        try
        {
            record = await _inner.DeserializeAsync(value, isNull: false, new SerializationContext(MessageComponentType.Value, topic));
        }
        catch (SchemaRegistryException e) when (e.ErrorCode == 40403)
        {
            return Decoded<T>.Failed(DeadLetterReasons.UnknownSchema, $"Schema id {WireFormat.SchemaId(value)} is not in the registry.");
        }
        catch (Exception e) when (e is AvroException or IOException or InvalidDataException or ArgumentException or InvalidCastException)
        {
            return Decoded<T>.Failed(DeadLetterReasons.Undecodable, $"Avro decoding failed: {e.Message}");
        }

        try
        {
            return Decoded<T>.Ok(T.FromAvro(record));
        }
        catch (AvroException e)
        {
            return Decoded<T>.Failed(DeadLetterReasons.ContractViolation, e.Message);
        }
    }
}

/// <summary>The outcome of decoding one record: the value, or why it cannot be read.</summary>
public readonly record struct Decoded<T>(T? Value, string? Reason, string? Error)
{
    public bool Success => Reason is null;

    public static Decoded<T> Ok(T value) => new(value, null, null);

    public static Decoded<T> Failed(string reason, string error) => new(default, reason, error);
}
