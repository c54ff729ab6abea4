using Confluent.Kafka;
using Microsoft.Extensions.Configuration;

namespace CryptoEtl.Kafka;

/// <summary>
/// Kafka client settings the Aspire way: the bootstrap servers come from <c>ConnectionStrings:kafka</c>; settings come
/// from Aspire.Confluent.Kafka's sections, by property name (<c>Aspire__Confluent__Kafka__Producer__Config__LingerMs=5</c>),
/// then from <c>Kafka:Producer</c> / <c>Kafka:Consumer</c> by librdkafka name (<c>Kafka__Producer__compression.type=zstd</c>).
/// </summary>
public static class KafkaConnection
{
    public const string ConnectionName = "kafka";
    public const string SchemaRegistryConnectionName = "schema-registry";
    public const string ProducerSection = "Aspire:Confluent:Kafka:Producer";
    public const string ConsumerSection = "Aspire:Confluent:Kafka:Consumer";

    public static string BootstrapServers(IConfiguration configuration, string connectionName = ConnectionName) =>
        configuration.GetConnectionString(connectionName) is { Length: > 0 } servers
            ? servers
            : throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not set: give the service the Kafka bootstrap servers (ConnectionStrings__{connectionName}=host:port).");

    public static string SchemaRegistryUrl(IConfiguration configuration) =>
        configuration.GetConnectionString(SchemaRegistryConnectionName) is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException("ConnectionStrings:schema-registry is not set: give the service the Schema Registry URL (ConnectionStrings__schema-registry=http://host:port).");

    /// <summary>An idempotent, acks=all producer with compression and a short linger, overridable from configuration.</summary>
    public static ProducerConfig Producer(IConfiguration configuration, string clientId, string connectionName = ConnectionName)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers(configuration, connectionName),
            ClientId = clientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            CompressionType = CompressionType.Lz4,
            LingerMs = 10,
            MessageTimeoutMs = 120_000,
        };
        Apply(configuration, ProducerSection, "Kafka:Producer", config);
        return config;
    }

    /// <summary>
    /// For a producer whose delivery handlers read only the status, topic, partition and offset (a batch stage's):
    /// delivery reports without the key, value, timestamp and headers, which Confluent.Kafka otherwise copies back out of
    /// librdkafka for every record (<c>dotnet.producer.delivery.report.fields</c>; a setting in configuration wins).
    /// </summary>
    public static void StatusOnlyDeliveryReports(ProducerConfig config) => config.DeliveryReportFields ??= "status";

    /// <summary>The producers' <c>message.max.bytes</c> as configured (null: librdkafka's default), which dead letters are cut to.</summary>
    public static int? MaxMessageBytes(IConfiguration configuration, string connectionName = ConnectionName) =>
        Producer(configuration, clientId: "", connectionName).MessageMaxBytes;

    /// <summary>A consumer-group member that commits explicitly, only after the work it covers is durable.</summary>
    public static ConsumerConfig Consumer(IConfiguration configuration, string clientId, string? groupId, string connectionName = ConnectionName)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers(configuration, connectionName),
            ClientId = clientId,
            GroupId = groupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            // A restarted member gets its partitions back within seconds (Kafka's default waits 45 s for the old one),
            // and a fetch answers within 100 ms when little data waits: the pipeline's freshness is measured in seconds.
            SessionTimeoutMs = 10_000,
            FetchWaitMaxMs = 100,
        };
        Apply(configuration, ConsumerSection, "Kafka:Consumer", config);
        return config;
    }

    private static void Apply(IConfiguration configuration, string aspireSection, string librdkafkaSection, ClientConfig config)
    {
        var servers = config.BootstrapServers;
        configuration.GetSection($"{aspireSection}:Config").Bind(config);
        foreach (var setting in configuration.GetSection(librdkafkaSection).GetChildren())
        {
            if (setting.Value is not null)
            {
                config.Set(setting.Key, setting.Value);
            }
        }

        config.BootstrapServers = servers; // the connection string names the cluster
    }
}
