using System.Buffers.Binary;
using Confluent.Kafka;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka;
using CryptoEtl.TestSupport;

namespace CryptoEtl.Contracts.Tests;

/// <summary>Every contract travels through the embedded Kafka in the Confluent wire format, with schemas in the embedded registry.</summary>
public sealed class SerdeThroughKafkaTests : IAsyncLifetime
{
    private EmbeddedInfrastructure _infra = null!;

    public async ValueTask InitializeAsync() => _infra = await EmbeddedInfrastructure.StartAsync();

    public async ValueTask DisposeAsync() => await _infra.DisposeAsync();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_contract_round_trips_through_Kafka_with_registered_schemas()
    {
        Assert.Equal(ContractSamples.FullSnapshot(), await ThroughKafka(Topics.Snapshots, ContractSamples.FullSnapshot()));
        Assert.Equal(ContractSamples.MinimalSnapshot(), await ThroughKafka(Topics.Snapshots, ContractSamples.MinimalSnapshot()));
        Assert.Equal(ContractSamples.Tick(), await ThroughKafka(Topics.Ticks, ContractSamples.Tick()));
        Assert.Equal(ContractSamples.Candle(), await ThroughKafka(Topics.Candles, ContractSamples.Candle()));
        Assert.Equal(ContractSamples.Alert(), await ThroughKafka(Topics.Alerts, ContractSamples.Alert()));
        var letter = await ThroughKafka(Topics.DeadLetter, ContractSamples.DeadLetter());
        Assert.Equal(ContractSamples.DeadLetter().Payload, letter.Payload);

        var subjects = await _infra.Registry.GetAllSubjectsAsync();
        Assert.Equal(Topics.All.Select(t => Topics.ValueSubject(t.Name)).Order(), subjects.Order());
    }

    [Fact]
    public async Task Values_use_the_Confluent_wire_format_with_the_registered_schema_id()
    {
        await ThroughKafka(Topics.Ticks, ContractSamples.Tick());
        var raw = Assert.Single(_infra.ReadTopic(Topics.Ticks, 1, TimeSpan.FromSeconds(20))).Message.Value!;

        var registered = await _infra.Registry.GetLatestSchemaAsync(Topics.ValueSubject(Topics.Ticks));
        Assert.Equal(0, raw[0]);
        Assert.Equal(registered.Id, BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(1, 4)));
        Assert.Equal(PriceTick.Schema.ToString(), registered.SchemaString);
    }

    [Fact]
    public async Task Bytes_that_are_not_the_wire_format_fail_with_a_reason()
    {
        var decoder = new ContractDecoder<PriceTick>(_infra.Registry);

        var plainJson = await decoder.DecodeAsync("{\"coin_id\":\"bitcoin\"}"u8.ToArray(), Topics.Ticks);
        var empty = await decoder.DecodeAsync(null, Topics.Ticks);

        Assert.Equal(DeadLetterReasons.NotWireFormat, plainJson.Reason);
        Assert.Equal(DeadLetterReasons.NotWireFormat, empty.Reason);
    }

    [Fact]
    public async Task An_unknown_schema_id_fails_with_a_reason()
    {
        var decoder = new ContractDecoder<PriceTick>(_infra.Registry);

        var result = await decoder.DecodeAsync([0, 0, 0, 3, 231, 2, 4, 6], Topics.Ticks);

        Assert.Equal(DeadLetterReasons.UnknownSchema, result.Reason);
        Assert.Contains("999", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_body_fails_with_a_reason()
    {
        var bytes = await new ContractSerializer<PriceTick>(_infra.Registry)
            .SerializeAsync(ContractSamples.Tick(), new SerializationContext(MessageComponentType.Value, Topics.Ticks));

        var result = await new ContractDecoder<PriceTick>(_infra.Registry).DecodeAsync(bytes[..12], Topics.Ticks);

        Assert.Equal(DeadLetterReasons.Undecodable, result.Reason);
    }

    [Fact]
    public async Task A_record_of_another_contract_fails_as_a_contract_violation()
    {
        var candleBytes = await new ContractSerializer<Candle>(_infra.Registry)
            .SerializeAsync(ContractSamples.Candle(), new SerializationContext(MessageComponentType.Value, Topics.Candles));

        var result = await new ContractDecoder<PriceTick>(_infra.Registry).DecodeAsync(candleBytes, Topics.Ticks);

        Assert.Equal(DeadLetterReasons.ContractViolation, result.Reason);
    }

    [Fact]
    public async Task An_unreachable_registry_throws_instead_of_blaming_the_record()
    {
        var bytes = await new ContractSerializer<PriceTick>(_infra.Registry)
            .SerializeAsync(ContractSamples.Tick(), new SerializationContext(MessageComponentType.Value, Topics.Ticks));
        using var unreachable = new Confluent.SchemaRegistry.CachedSchemaRegistryClient(
            new Confluent.SchemaRegistry.SchemaRegistryConfig { Url = "http://127.0.0.1:1", RequestTimeoutMs = 2000, MaxRetries = 1 });

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => new ContractDecoder<PriceTick>(unreachable).DecodeAsync(bytes, Topics.Ticks));
    }

    [Fact]
    public async Task Dead_letters_keep_the_failed_record_byte_for_byte()
    {
        using var producer = _infra.RawProducer();
        await producer.ProduceAsync(Topics.Ticks, new Message<byte[]?, byte[]?>
        {
            Key = "bitcoin"u8.ToArray(),
            Value = [9, 9, 9],
            Headers = [new Header("run_id", "r-1"u8.ToArray())],
        }, Cancel);
        var poison = Assert.Single(_infra.ReadTopic(Topics.Ticks, 1, TimeSpan.FromSeconds(20)));

        using (var publisher = new DeadLetterPublisher(producer, _infra.Registry))
        {
            await publisher.PublishAsync(DeadLetters.FromMessage("load", DeadLetterReasons.NotWireFormat, "not Avro", poison, DateTimeOffset.UnixEpoch), Cancel);
        }

        var stored = Assert.Single(_infra.ReadTopic(Topics.DeadLetter, 1, TimeSpan.FromSeconds(20)));
        var letter = (await new ContractDecoder<DeadLetter>(_infra.Registry).DecodeAsync(stored.Message.Value, Topics.DeadLetter)).Value!;
        Assert.Equal(("load", DeadLetterReasons.NotWireFormat, Topics.Ticks, poison.Partition.Value, poison.Offset.Value),
            (letter.Stage, letter.Reason, letter.SourceTopic, letter.SourcePartition!.Value, letter.SourceOffset!.Value));
        Assert.Equal(new byte[] { 9, 9, 9 }, letter.Payload);
        Assert.Equal("bitcoin"u8.ToArray(), letter.Key);
        Assert.Equal("bitcoin"u8.ToArray(), stored.Message.Key);
        Assert.Equal("run_id", letter.Headers.Single().Key);
        Assert.Equal("r-1"u8.ToArray(), letter.Headers.Single().Value);
    }

    private async Task<T> ThroughKafka<T>(string topic, T value) where T : IAvroContract<T>
    {
        using var producer = new ProducerBuilder<string, T>(new ProducerConfig { BootstrapServers = _infra.BootstrapServers, EnableIdempotence = true })
            .SetValueSerializer(new ContractSerializer<T>(_infra.Registry))
            .Build();
        var delivery = await producer.ProduceAsync(topic, new Message<string, T> { Key = "k", Value = value }, Cancel);

        using var consumer = _infra.RawConsumer($"roundtrip-{Guid.NewGuid():N}");
        consumer.Assign(delivery.TopicPartitionOffset);
        var record = consumer.Consume(TimeSpan.FromSeconds(20));
        var decoded = await new ContractDecoder<T>(_infra.Registry).DecodeAsync(record.Message.Value, topic);
        Assert.True(decoded.Success, decoded.Error);
        return decoded.Value!;
    }
}
