using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.Kafka;

public static class KafkaHealthCheckExtensions
{
    /// <summary>
    /// Adds a readiness check (part of /health, not of /alive) named after the connection, for
    /// <c>ConnectionStrings:{connectionName}</c>; once, however many clients ask for it.
    /// </summary>
    public static IHealthChecksBuilder AddKafka(this IHealthChecksBuilder checks, IConfiguration configuration, string connectionName = KafkaConnection.ConnectionName)
    {
        checks.Services.Configure<HealthCheckServiceOptions>(options =>
        {
            if (options.Registrations.All(r => r.Name != connectionName))
            {
                // One check (it keeps an admin client) for every run of it.
                var check = new Lazy<KafkaHealthCheck>(() => new KafkaHealthCheck(KafkaConnection.BootstrapServers(configuration, connectionName)));
                options.Registrations.Add(new HealthCheckRegistration(connectionName, _ => check.Value, failureStatus: null, tags: ["ready"]));
            }
        });
        return checks;
    }
}
