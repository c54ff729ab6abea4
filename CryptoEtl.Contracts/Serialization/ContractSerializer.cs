using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;

namespace CryptoEtl.Contracts.Serialization;

/// <summary>
/// Writes a contract in the Confluent wire format (magic byte, schema id, Avro binary) through Confluent's Avro serializer,
/// registering the schema under the topic's value subject on first use.
/// </summary>
public sealed class ContractSerializer<T> : IAsyncSerializer<T> where T : IAvroContract<T>
{
    private readonly AvroSerializer<GenericRecord> _inner;

    public ContractSerializer(ISchemaRegistryClient registry, bool autoRegisterSchemas = true) =>
        _inner = new AvroSerializer<GenericRecord>(registry, new AvroSerializerConfig
        {
            AutoRegisterSchemas = autoRegisterSchemas,
            // {topic}-value, without the association lookup newer clients try first.
            SubjectNameStrategy = SubjectNameStrategy.Topic,
        });

    public Task<byte[]> SerializeAsync(T data, SerializationContext context) => _inner.SerializeAsync(data.ToAvro(), context);
}
