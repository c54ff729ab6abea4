using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.DevServices.Kafka;
using CryptoEtl.Kafka;
using CryptoEtl.TestSupport;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>
/// The tests' embedded Kafka and Schema Registry (<see cref="EmbeddedInfrastructure"/>) in this process, with the
/// pipeline's topics sized for what a benchmark pre-loads, and the benchmarks' client settings.
/// </summary>
internal sealed class BenchEnvironment(EmbeddedInfrastructure infrastructure) : IAsyncDisposable
{
    /// <summary>
    /// librdkafka's mock broker keeps at most 5 MB per partition and drops the oldest records beyond that
    /// (rdkafka_mock.c: max_size), so a topic pre-loaded with N records gets enough partitions to hold them all.
    /// </summary>
    private const int RecordsPerPartition = 25_000;

    public EmbeddedKafkaBroker Broker => infrastructure.Broker;

    public string Bootstrap => infrastructure.BootstrapServers;

    public string RegistryUrl => infrastructure.RegistryUrl;

    public ISchemaRegistryClient Registry => infrastructure.Registry;

    /// <param name="preloaded">The topic the benchmark pre-loads and how many records it puts there.</param>
    public static async Task<BenchEnvironment> StartAsync((string Topic, int Records) preloaded, params string[] extraTopics)
    {
        var partitions = extraTopics.ToDictionary(t => t, _ => 6);
        partitions[preloaded.Topic] = PartitionsFor(preloaded.Topic, preloaded.Records);
        return new BenchEnvironment(await EmbeddedInfrastructure.StartAsync(partitions: partitions));
    }

    /// <summary>The pipeline's topics, each with enough partitions for the records it will hold.</summary>
    public static async Task<BenchEnvironment> StartAsync(IEnumerable<(string Topic, int Records)> sized) =>
        new(await EmbeddedInfrastructure.StartAsync(partitions: sized.ToDictionary(s => s.Topic, s => PartitionsFor(s.Topic, s.Records))));

    /// <summary>The pipeline topic's own partition count, or more if it is to hold more records than they keep.</summary>
    private static int PartitionsFor(string topic, int records) =>
        Math.Max(Topics.All.Single(t => t.Name == topic).Partitions, (records + RecordsPerPartition - 1) / RecordsPerPartition);

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
    public long Lag(string group, string topic) => infrastructure.Lag(group, topic);

    public ValueTask DisposeAsync() => infrastructure.DisposeAsync();
}
