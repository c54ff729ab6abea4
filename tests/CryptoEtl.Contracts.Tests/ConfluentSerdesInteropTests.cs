using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.TestSupport;

namespace CryptoEtl.Contracts.Tests;

/// <summary>Our codec and Confluent's own Avro serdes read each other's bytes, and schema evolution resolves.</summary>
public sealed class ConfluentSerdesInteropTests : IAsyncLifetime
{
    private EmbeddedInfrastructure _infra = null!;

    public async ValueTask InitializeAsync() => _infra = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);

    public async ValueTask DisposeAsync() => await _infra.DisposeAsync();

    private static SerializationContext Value(string topic) => new(MessageComponentType.Value, topic);

    [Fact]
    public async Task Confluent_AvroDeserializer_reads_what_we_write()
    {
        var bytes = await new ContractSerializer<MarketSnapshot>(_infra.Registry).SerializeAsync(ContractSamples.FullSnapshot(), Value(Topics.Snapshots));

        var record = await new AvroDeserializer<GenericRecord>(_infra.Registry).DeserializeAsync(bytes, false, Value(Topics.Snapshots));

        Assert.Equal(ContractSamples.FullSnapshot(), MarketSnapshot.FromAvro(record));
    }

    [Fact]
    public async Task We_read_what_Confluent_AvroSerializer_writes()
    {
        var serializer = new AvroSerializer<GenericRecord>(_infra.Registry, new AvroSerializerConfig { SubjectNameStrategy = SubjectNameStrategy.Topic });
        var bytes = await serializer.SerializeAsync(ContractSamples.Candle().ToAvro(), Value(Topics.Candles));

        var decoded = await new ContractDecoder<Candle>(_infra.Registry).DecodeAsync(bytes, Topics.Candles);

        Assert.True(decoded.Success, decoded.Error);
        Assert.Equal(ContractSamples.Candle(), decoded.Value);
    }

    [Fact]
    public async Task A_record_written_with_an_older_compatible_schema_is_resolved_to_the_current_one()
    {
        // An earlier PriceTick without market_cap_rank, registered first; the current one adds it with a default.
        var json = System.Text.Json.Nodes.JsonNode.Parse(PriceTick.Schema.ToString())!;
        var fields = json["fields"]!.AsArray();
        fields.Remove(fields.Single(f => (string?)f!["name"] == "market_cap_rank"));
        var older = (Avro.RecordSchema)Avro.Schema.Parse(json.ToJsonString());
        Assert.Null(older.Fields.FirstOrDefault(f => f.Name == "market_cap_rank"));
        var record = new GenericRecord(older);
        foreach (var field in older.Fields)
        {
            record.Add(field.Name, ContractSamples.Tick().ToAvro()[field.Name]);
        }

        var serializer = new AvroSerializer<GenericRecord>(_infra.Registry, new AvroSerializerConfig { SubjectNameStrategy = SubjectNameStrategy.Topic });
        var oldBytes = await serializer.SerializeAsync(record, Value(Topics.Ticks));
        var newBytes = await new ContractSerializer<PriceTick>(_infra.Registry).SerializeAsync(ContractSamples.Tick(), Value(Topics.Ticks));

        var decoder = new ContractDecoder<PriceTick>(_infra.Registry);
        var fromOld = await decoder.DecodeAsync(oldBytes, Topics.Ticks);
        var fromNew = await decoder.DecodeAsync(newBytes, Topics.Ticks);

        Assert.Equal(ContractSamples.Tick() with { MarketCapRank = null }, fromOld.Value);
        Assert.Equal(ContractSamples.Tick(), fromNew.Value);
        Assert.Equal([1, 2], await _infra.Registry.GetSubjectVersionsAsync(Topics.ValueSubject(Topics.Ticks)));
    }
}
