using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka;

/// <summary>Long-lived Kafka clients, each wired in one call as Aspire.Confluent.Kafka's <c>AddKafkaProducer</c> and <c>AddKafkaConsumer</c> do.</summary>
public static class KafkaClientExtensions
{
    /// <summary>How often a client reports librdkafka's statistics as metrics (<see cref="KafkaClientMetrics"/>) unless its settings say otherwise (0: never).</summary>
    public const int StatisticsIntervalMs = 5000;

    /// <summary>
    /// Registers one <see cref="IProducer{TKey,TValue}"/> for the service (built on first use, flushed by its owner,
    /// disposed with the container): the cluster from <c>ConnectionStrings:{connectionName}</c>, the settings of
    /// <see cref="KafkaConnection.Producer"/>, librdkafka's log in the service's log, its statistics as metrics, and the "kafka" readiness check.
    /// <paramref name="configureBuilder"/> sets what needs services, such as serializers.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaProducer<TKey, TValue>(this IHostApplicationBuilder builder, string connectionName,
        Action<IServiceProvider, ProducerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        builder.Services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var config = KafkaConnection.Producer(configuration, builder.Environment.ApplicationName, connectionName);
            config.StatisticsIntervalMs ??= StatisticsIntervalMs;
            var metrics = sp.GetRequiredService<KafkaClientMetrics>();
            var producer = new ProducerBuilder<TKey, TValue>(config)
                .SetLogHandler(KafkaLogging.To(sp.GetRequiredService<ILoggerFactory>().CreateLogger($"Kafka.Producer.{connectionName}")))
                .SetStatisticsHandler((_, json) => metrics.Record(json));
            configureBuilder?.Invoke(sp, producer);
            return producer.Build();
        });
        builder.Services.TryAddSingleton<KafkaClientMetrics>();
        builder.Services.AddHealthChecks().AddKafka(builder.Configuration, connectionName);
        return builder;
    }

    /// <summary>
    /// Registers one <see cref="IConsumer{TKey,TValue}"/> for the service (built on first use, closed by its owner,
    /// disposed with the container): the cluster from <c>ConnectionStrings:{connectionName}</c>, the settings of
    /// <see cref="KafkaConnection.Consumer"/>, librdkafka's log in the service's log, its statistics as metrics, and the "kafka" readiness check.
    /// <paramref name="configureSettings"/> sets what needs services (the group id from options, say);
    /// <paramref name="configureBuilder"/> sets handlers and deserializers.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaConsumer<TKey, TValue>(this IHostApplicationBuilder builder, string connectionName,
        Action<IServiceProvider, ConsumerConfig>? configureSettings = null, Action<IServiceProvider, ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        builder.Services.AddSingleton(sp =>
        {
            var config = KafkaConnection.Consumer(sp.GetRequiredService<IConfiguration>(), builder.Environment.ApplicationName, groupId: null, connectionName);
            config.StatisticsIntervalMs ??= StatisticsIntervalMs;
            configureSettings?.Invoke(sp, config);
            var metrics = sp.GetRequiredService<KafkaClientMetrics>();
            var consumer = new ConsumerBuilder<TKey, TValue>(config)
                .SetLogHandler(KafkaLogging.To(sp.GetRequiredService<ILoggerFactory>().CreateLogger($"Kafka.Consumer.{connectionName}")))
                .SetStatisticsHandler((_, json) => metrics.Record(json));
            configureBuilder?.Invoke(sp, consumer);
            return consumer.Build();
        });
        builder.Services.TryAddSingleton<KafkaClientMetrics>();
        builder.Services.AddHealthChecks().AddKafka(builder.Configuration, connectionName);
        return builder;
    }
}
