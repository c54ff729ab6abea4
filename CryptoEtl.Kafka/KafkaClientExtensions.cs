using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka;

/// <summary>Kafka clients, each wired in one call as Aspire.Confluent.Kafka's <c>AddKafkaProducer</c> and <c>AddKafkaConsumer</c> do.</summary>
public static class KafkaClientExtensions
{
    /// <summary>
    /// Registers the service's <see cref="KafkaClientFactory"/> for <c>ConnectionStrings:{connectionName}</c> (its
    /// clients report metrics through <see cref="KafkaClientMetrics"/>) and the Kafka readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaClientFactory(this IHostApplicationBuilder builder, string connectionName = KafkaConnection.ConnectionName)
    {
        builder.Services.TryAddSingleton<KafkaClientMetrics>();
        builder.Services.TryAddSingleton(sp => new KafkaClientFactory(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<KafkaClientMetrics>(), connectionName));
        builder.Services.AddHealthChecks().AddKafka(builder.Configuration, connectionName);
        return builder;
    }

    /// <summary>
    /// Registers one <see cref="IProducer{TKey,TValue}"/> for the service (built on first use, flushed by its owner,
    /// disposed with the container) from the service's <see cref="KafkaClientFactory"/>, with the settings of
    /// <see cref="KafkaConnection.Producer"/>. <paramref name="configureSettings"/> changes them (after configuration);
    /// <paramref name="configureBuilder"/> sets what needs services, such as serializers.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaProducer<TKey, TValue>(this IHostApplicationBuilder builder, string connectionName,
        Action<IServiceProvider, ProducerBuilder<TKey, TValue>>? configureBuilder = null, Action<ProducerConfig>? configureSettings = null)
    {
        builder.AddKafkaClientFactory(connectionName);
        builder.Services.AddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<KafkaClientFactory>();
            var config = factory.ProducerConfig(builder.Environment.ApplicationName);
            configureSettings?.Invoke(config);
            return factory.CreateProducer<TKey, TValue>(config, producer => configureBuilder?.Invoke(sp, producer));
        });
        return builder;
    }

    /// <summary>
    /// Registers one <see cref="IConsumer{TKey,TValue}"/> for the service (built on first use, closed by its owner,
    /// disposed with the container) from the service's <see cref="KafkaClientFactory"/>, with the settings of
    /// <see cref="KafkaConnection.Consumer"/>. <paramref name="configureSettings"/> sets what needs services (the group
    /// id from options, say); <paramref name="configureBuilder"/> sets handlers and deserializers.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaConsumer<TKey, TValue>(this IHostApplicationBuilder builder, string connectionName,
        Action<IServiceProvider, ConsumerConfig>? configureSettings = null, Action<IServiceProvider, ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        builder.AddKafkaClientFactory(connectionName);
        builder.Services.AddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<KafkaClientFactory>();
            var config = factory.ConsumerConfig(builder.Environment.ApplicationName, groupId: null);
            configureSettings?.Invoke(sp, config);
            return factory.CreateConsumer<TKey, TValue>(config, consumer => configureBuilder?.Invoke(sp, consumer));
        });
        return builder;
    }
}
