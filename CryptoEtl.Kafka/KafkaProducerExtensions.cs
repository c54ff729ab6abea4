using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka;

/// <summary>A long-lived producer, wired in one call as Aspire.Confluent.Kafka's <c>AddKafkaProducer</c> does.</summary>
public static class KafkaProducerExtensions
{
    /// <summary>
    /// Registers one <see cref="IProducer{TKey,TValue}"/> for the service (built on first use, flushed by its owner,
    /// disposed with the container): the cluster from <c>ConnectionStrings:{connectionName}</c>, the settings of
    /// <see cref="KafkaConnection.Producer"/>, librdkafka's log in the service's log, and the "kafka" readiness check.
    /// <paramref name="configureBuilder"/> sets what needs services, such as serializers.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaProducer<TKey, TValue>(this IHostApplicationBuilder builder, string connectionName,
        Action<IServiceProvider, ProducerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        builder.Services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var config = KafkaConnection.Producer(configuration, builder.Environment.ApplicationName, connectionName);
            var producer = new ProducerBuilder<TKey, TValue>(config)
                .SetLogHandler(KafkaLogging.To(sp.GetRequiredService<ILoggerFactory>().CreateLogger($"Kafka.Producer.{connectionName}")));
            configureBuilder?.Invoke(sp, producer);
            return producer.Build();
        });
        builder.Services.AddHealthChecks().AddKafka(builder.Configuration, connectionName);
        return builder;
    }
}
