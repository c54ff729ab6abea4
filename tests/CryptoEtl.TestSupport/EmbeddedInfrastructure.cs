using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.DevServices.Kafka;
using CryptoEtl.DevServices.SchemaRegistry;
using CryptoEtl.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace CryptoEtl.TestSupport;

/// <summary>
/// The embedded Kafka broker and Schema Registry, started fresh for a test (or a test class). A restartable one is
/// reached through a fixed bootstrap port, as the embedded run reaches its broker, so that
/// <see cref="RestartBrokerEmpty"/> can replace the broker under running clients, as a broker that crashed and came back
/// empty would be.
/// </summary>
public sealed class EmbeddedInfrastructure : IAsyncDisposable
{
    private readonly WebApplication _registry;

    private readonly KafkaOffsets _lag;

    private readonly IReadOnlyDictionary<string, int> _topics;

    private BootstrapListener? _bootstrap;

    private EmbeddedInfrastructure(EmbeddedKafkaBroker broker, WebApplication registry, IReadOnlyDictionary<string, int> topics, BootstrapListener? bootstrap)
    {
        Broker = broker;
        _registry = registry;
        _topics = topics;
        _bootstrap = bootstrap;
        BootstrapServers = bootstrap?.BootstrapServers ?? broker.BootstrapServers;
        RegistryUrl = registry.ListeningAddress().ToString().TrimEnd('/');
        Registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = RegistryUrl });
        _lag = new KafkaOffsets(BootstrapServers, TimeSpan.FromSeconds(10));
    }

    public EmbeddedKafkaBroker Broker { get; private set; }

    public string BootstrapServers { get; }

    public string RegistryUrl { get; }

    public ISchemaRegistryClient Registry { get; }

    /// <param name="createPipelineTopics">Create every pipeline topic with its partition count from <see cref="Topics"/>.</param>
    /// <param name="restartable">Reach the broker through a fixed bootstrap port, so that it can be restarted empty.</param>
    /// <param name="partitions">Topics to create (or pipeline topics to create with another partition count), by name.</param>
    public static async Task<EmbeddedInfrastructure> StartAsync(bool createPipelineTopics = true, string? registryStateDirectory = null, bool restartable = false,
        IReadOnlyDictionary<string, int>? partitions = null)
    {
        var topics = (createPipelineTopics ? Topics.All : []).ToDictionary(t => t.Name, t => t.Partitions);
        foreach (var (topic, count) in partitions ?? new Dictionary<string, int>())
        {
            topics[topic] = count;
        }

        var broker = StartBroker(topics);
        var registry = SchemaRegistryServer.Build("http://127.0.0.1:0", registryStateDirectory, ["--Logging:LogLevel:Default=Warning"]);
        await registry.StartAsync();
        return new EmbeddedInfrastructure(broker, registry, topics, restartable ? new BootstrapListener(0, broker.BootstrapServers) : null);
    }

    /// <summary>
    /// Replaces the broker with a new, empty one behind the same bootstrap address (the topics it was started with created
    /// again): every record, topic and committed offset is gone, as after a crash of the embedded broker.
    /// </summary>
    public async Task RestartBrokerEmpty(Action<EmbeddedKafkaBroker>? createTopics = null)
    {
        var port = _bootstrap?.Port ?? throw new InvalidOperationException("Start the infrastructure with restartable: true.");
        await _bootstrap.DisposeAsync();
        Broker.Dispose();
        Broker = StartBroker(_topics);
        createTopics?.Invoke(Broker);
        _bootstrap = new BootstrapListener(port, Broker.BootstrapServers);
    }

    private static EmbeddedKafkaBroker StartBroker(IReadOnlyDictionary<string, int> topics)
    {
        var broker = EmbeddedKafkaBroker.Start();
        foreach (var (topic, partitions) in topics)
        {
            broker.CreateTopic(topic, partitions);
        }

        return broker;
    }

    public IProducer<byte[]?, byte[]?> RawProducer() =>
        new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = BootstrapServers, EnableIdempotence = true, LingerMs = 5 })
            .SetLogHandler((_, _) => { })
            .Build();

    /// <summary>The Kafka client factory a service has, for this broker (the service's default settings, no metrics).</summary>
    public KafkaClientFactory KafkaClients() => new(new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [$"ConnectionStrings:{KafkaConnection.ConnectionName}"] = BootstrapServers }).Build(),
        Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

    /// <summary>A stage's consumer settings, as the services have them (explicit commits, cooperative rebalances), with short timeouts.</summary>
    public ConsumerConfig ConsumerConfig(string group) => new()
    {
        BootstrapServers = BootstrapServers, GroupId = group, EnableAutoCommit = false, EnableAutoOffsetStore = false, AutoOffsetReset = AutoOffsetReset.Earliest,
        PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky, SessionTimeoutMs = 6000, FetchWaitMaxMs = 50,
    };

    public IConsumer<byte[]?, byte[]?> RawConsumer(string group) =>
        new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();

    /// <summary>Reads every record of a topic from the beginning until <paramref name="count"/> arrived or the time is up.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadTopic(string topic, int count, TimeSpan timeout)
    {
        using var consumer = RawConsumer($"reader-{Guid.NewGuid():N}");
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + timeout;
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        consumer.Close();
        return results;
    }

    /// <summary>Every record of a topic, read until the end of every partition.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadAll(string topic, TimeSpan? timeout = null)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = $"reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).SetLogHandler((_, _) => { }).Build();
        var partitions = Metadata(topic);
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<byte[]?, byte[]?>>();
        var finished = new HashSet<int>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (finished.Count < partitions.Count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Reading {topic} did not reach the end of every partition.");
            }

            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                if (result.IsPartitionEOF)
                {
                    finished.Add(result.Partition.Value);
                }
                else
                {
                    results.Add(result);
                }
            }
        }

        return results;
    }

    /// <summary>How far a consumer group's committed offsets are behind the end of the topic.</summary>
    public long Lag(string group, string topic) =>
        TryLag(group, topic) ?? throw new TimeoutException($"The broker did not tell {group}'s lag on {topic} in time.");

    /// <summary>How far a consumer group's committed offsets are behind the end of the topic; null when the broker does not tell.</summary>
    public long? TryLag(string group, string topic) => _lag.MeasureAsync(group, [topic]).GetAwaiter().GetResult()?.Total;

    private List<int> Metadata(string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).SetLogHandler((_, _) => { }).Build();
        return admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        _lag.Dispose();
        (Registry as IDisposable)?.Dispose();
        await _registry.StopAsync();
        await _registry.DisposeAsync();
        if (_bootstrap is not null)
        {
            await _bootstrap.DisposeAsync();
        }

        Broker.Dispose();
    }
}
