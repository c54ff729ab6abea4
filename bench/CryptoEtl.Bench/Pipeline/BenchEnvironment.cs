using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.DevServices.Kafka;
using CryptoEtl.DevServices.SchemaRegistry;
using CryptoEtl.Kafka;
using Microsoft.AspNetCore.Builder;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>The embedded Kafka and Schema Registry in this process, with the pipeline's topics.</summary>
internal sealed class BenchEnvironment : IAsyncDisposable
{
    private readonly WebApplication _registryApp;

    private readonly ConsumerGroupLag _lag;

    private BenchEnvironment(EmbeddedKafkaBroker broker, WebApplication registryApp)
    {
        Broker = broker;
        _registryApp = registryApp;
        RegistryUrl = registryApp.ListeningAddress().ToString().TrimEnd('/');
        Registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = RegistryUrl });
        _lag = new ConsumerGroupLag(broker.BootstrapServers, TimeSpan.FromSeconds(10));
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
        return new BenchEnvironment(broker, registry);
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

    /// <summary>How many records have been written to a topic: the sum of its partitions' end offsets.</summary>
    public long EndOffsets(string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(ConsumerConfig("bench-end-offsets")).Build();
        return consumer.EndsNow(topic).Values.Sum();
    }

    /// <summary>Records between a group's committed offsets and the end of a topic, over all its partitions.</summary>
    public long Lag(string group, string topic) =>
        _lag.MeasureAsync(group, [topic]).GetAwaiter().GetResult()?.Total ?? throw new TimeoutException($"The broker did not tell {group}'s lag on {topic} in time.");

    public async ValueTask DisposeAsync()
    {
        _lag.Dispose();
        (Registry as IDisposable)?.Dispose();
        await _registryApp.StopAsync();
        await _registryApp.DisposeAsync();
        Broker.Dispose();
    }
}
