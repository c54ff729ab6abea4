using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka;

/// <summary>
/// Builds the service's Kafka clients for one connection: the cluster from <c>ConnectionStrings:{connectionName}</c>,
/// the settings of <see cref="KafkaConnection"/> (so a secured cluster's settings reach every client), librdkafka's log
/// in the service's log and its statistics as metrics. Long-lived clients are registered with
/// <see cref="KafkaClientExtensions"/>; tools that read a range and let go (the console's browsers, the replay) build
/// theirs here.
/// </summary>
public sealed class KafkaClientFactory(IConfiguration configuration, ILoggerFactory loggers, KafkaClientMetrics? metrics = null,
    string connectionName = KafkaConnection.ConnectionName)
{
    /// <summary>How often a client reports librdkafka's statistics as metrics unless its settings say otherwise (0: never).</summary>
    public const int StatisticsIntervalMs = 5000;

    public string BootstrapServers => KafkaConnection.BootstrapServers(configuration, connectionName);

    public ConsumerConfig ConsumerConfig(string clientId, string? groupId) => KafkaConnection.Consumer(configuration, clientId, groupId, connectionName);

    public ProducerConfig ProducerConfig(string clientId) => KafkaConnection.Producer(configuration, clientId, connectionName);

    /// <param name="configureBuilder">Sets handlers and deserializers.</param>
    public IConsumer<TKey, TValue> CreateConsumer<TKey, TValue>(ConsumerConfig config, Action<ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        var builder = new ConsumerBuilder<TKey, TValue>(Observed(config)).SetLogHandler(KafkaLogging.To(loggers.CreateLogger($"Kafka.Consumer.{connectionName}")));
        if (metrics is not null)
        {
            builder.SetStatisticsHandler((_, json) => metrics.Record(json));
        }

        configureBuilder?.Invoke(builder);
        return builder.Build();
    }

    /// <param name="configureBuilder">Sets serializers.</param>
    public IProducer<TKey, TValue> CreateProducer<TKey, TValue>(ProducerConfig config, Action<ProducerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        var builder = new ProducerBuilder<TKey, TValue>(Observed(config)).SetLogHandler(KafkaLogging.To(loggers.CreateLogger($"Kafka.Producer.{connectionName}")));
        if (metrics is not null)
        {
            builder.SetStatisticsHandler((_, json) => metrics.Record(json));
        }

        configureBuilder?.Invoke(builder);
        return builder.Build();
    }

    private T Observed<T>(T config) where T : ClientConfig
    {
        if (metrics is not null)
        {
            config.StatisticsIntervalMs ??= StatisticsIntervalMs;
        }

        return config;
    }
}
