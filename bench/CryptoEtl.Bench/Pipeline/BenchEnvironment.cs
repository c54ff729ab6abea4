using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.DevServices.Kafka;
using CryptoEtl.DevServices.SchemaRegistry;
using Microsoft.AspNetCore.Builder;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>The embedded Kafka and Schema Registry in this process, with the pipeline's topics.</summary>
internal sealed class BenchEnvironment : IAsyncDisposable
{
    private readonly WebApplication _registryApp;

    private readonly Dictionary<string, int> _partitions;

    private BenchEnvironment(EmbeddedKafkaBroker broker, Dictionary<string, int> partitions, WebApplication registryApp)
    {
        Broker = broker;
        _partitions = partitions;
        _registryApp = registryApp;
        RegistryUrl = registryApp.ListeningAddress().ToString().TrimEnd('/');
        Registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = RegistryUrl });
    }

    public EmbeddedKafkaBroker Broker { get; }

    public string Bootstrap => Broker.BootstrapServers;

    public string RegistryUrl { get; }

    public ISchemaRegistryClient Registry { get; }

    /// <summary>
    /// librdkafka's mock broker keeps at most 5 MB per partition and drops the oldest records beyond that
    /// (rdkafka_mock.c: max_size), so a topic pre-loaded with N records gets enough partitions to hold them all.
    /// </summary>
    private const int RecordsPerPartition = 25_000;

    /// <param name="preloaded">The topic the benchmark pre-loads and how many records it puts there.</param>
    public static async Task<BenchEnvironment> StartAsync((string Topic, int Records) preloaded, params string[] extraTopics)
    {
        var broker = EmbeddedKafkaBroker.Start();
        var partitions = Topics.All.ToDictionary(t => t.Name, t => t.Name == preloaded.Topic
            ? Math.Max(t.Partitions, (preloaded.Records + RecordsPerPartition - 1) / RecordsPerPartition)
            : t.Partitions);
        foreach (var topic in extraTopics)
        {
            partitions[topic] = 6;
        }

        foreach (var (topic, count) in partitions)
        {
            broker.CreateTopic(topic, count);
        }

        var registry = SchemaRegistryServer.Build("http://127.0.0.1:0", null, ["--Logging:LogLevel:Default=Warning"]);
        await registry.StartAsync();
        return new BenchEnvironment(broker, partitions, registry);
    }

    public ProducerConfig ProducerConfig(int lingerMs = 10) => new()
    {
        BootstrapServers = Bootstrap,
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = lingerMs,
        CompressionType = CompressionType.Lz4,
        QueueBufferingMaxMessages = 1_000_000,
        BatchNumMessages = 10_000,
    };

    public ConsumerConfig ConsumerConfig(string group) => new()
    {
        BootstrapServers = Bootstrap,
        GroupId = group,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        FetchMaxBytes = 64 * 1024 * 1024,
        MaxPartitionFetchBytes = 16 * 1024 * 1024,
        QueuedMaxMessagesKbytes = 512 * 1024,
        FetchWaitMaxMs = 20,
    };

    /// <summary>
    /// Records between a group's committed offsets and the end of a topic, over all its partitions (one probe client per
    /// group, reused).
    /// </summary>
    public long Lag(string group, string topic)
    {
        var consumer = _lagProbes.GetOrAdd(group, g => new ConsumerBuilder<Ignore, Ignore>(ConsumerConfig(g)).Build());
        var parts = Enumerable.Range(0, _partitions[topic]).Select(p => new TopicPartition(topic, p)).ToList();
        return consumer.Committed(parts, TimeSpan.FromSeconds(10)).Sum(c =>
            consumer.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(10)).High.Value - (c.Offset.IsSpecial ? 0 : c.Offset.Value));
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IConsumer<Ignore, Ignore>> _lagProbes = new();

    public async ValueTask DisposeAsync()
    {
        foreach (var probe in _lagProbes.Values)
        {
            probe.Dispose();
        }

        (Registry as IDisposable)?.Dispose();
        await _registryApp.StopAsync();
        await _registryApp.DisposeAsync();
        Broker.Dispose();
    }
}
