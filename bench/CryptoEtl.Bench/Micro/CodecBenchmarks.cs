using Avro.Generic;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.DevServices.SchemaRegistry;
using Microsoft.AspNetCore.Builder;

namespace CryptoEtl.Bench.Micro;

/// <summary>
/// One MarketSnapshot through our codec and through Confluent's Avro serdes (GenericRecord, mapped from and to the
/// record as the pipeline would need), both against the registry stand-in; schema ids are cached after the first call,
/// so this measures the codecs.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private static readonly SerializationContext Context = new(MessageComponentType.Value, Topics.Snapshots);

    private WebApplication _registryServer = null!;
    private CachedSchemaRegistryClient _registry = null!;
    private MarketSnapshot _snapshot = null!;
    private byte[] _bytes = null!;
    private ContractSerializer<MarketSnapshot> _ourSerializer = null!;
    private ContractDecoder<MarketSnapshot> _ourDecoder = null!;
    private AvroSerializer<GenericRecord> _confluentSerializer = null!;
    private AvroDeserializer<GenericRecord> _confluentDeserializer = null!;

    [GlobalSetup]
    public async Task SetUp()
    {
        _registryServer = SchemaRegistryServer.Build("http://127.0.0.1:0", stateDirectory: null, args: ["--Logging:LogLevel:Default=Warning"]);
        await _registryServer.StartAsync();
        _registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registryServer.ListeningAddress().ToString() });
        _snapshot = SyntheticMarket.Snapshots(1).Single();
        _ourSerializer = new ContractSerializer<MarketSnapshot>(_registry);
        _ourDecoder = new ContractDecoder<MarketSnapshot>(_registry);
        _confluentSerializer = new AvroSerializer<GenericRecord>(_registry, new AvroSerializerConfig { SubjectNameStrategy = SubjectNameStrategy.Topic });
        _confluentDeserializer = new AvroDeserializer<GenericRecord>(_registry);
        _bytes = await _ourSerializer.SerializeAsync(_snapshot, Context);
        await _confluentSerializer.SerializeAsync(_snapshot.ToAvro(), Context);
    }

    [GlobalCleanup]
    public async Task CleanUp()
    {
        _registry.Dispose();
        await _registryServer.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public Task<byte[]> Encode_with_our_codec() => _ourSerializer.SerializeAsync(_snapshot, Context);

    [Benchmark]
    public Task<byte[]> Encode_with_Confluent_AvroSerializer() => _confluentSerializer.SerializeAsync(_snapshot.ToAvro(), Context);

    [Benchmark]
    public async Task<MarketSnapshot?> Decode_with_our_codec() => (await _ourDecoder.DecodeAsync(_bytes, Topics.Snapshots)).Value;

    [Benchmark]
    public async Task<MarketSnapshot> Decode_with_Confluent_AvroDeserializer() =>
        MarketSnapshot.FromAvro(await _confluentDeserializer.DeserializeAsync(_bytes, false, Context));
}
