using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoEtl.Kafka;

public static class KafkaHealthCheckExtensions
{
    /// <summary>Adds a "kafka" readiness check (part of /health, not of /alive) for ConnectionStrings:kafka.</summary>
    public static IHealthChecksBuilder AddKafka(this IHealthChecksBuilder checks, IConfiguration configuration) =>
        checks.AddCheck("kafka", new KafkaHealthCheck(KafkaConnection.BootstrapServers(configuration)), tags: ["ready"]);
}
