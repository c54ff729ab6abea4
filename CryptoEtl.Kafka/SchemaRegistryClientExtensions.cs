using Confluent.SchemaRegistry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka;

/// <summary>The Schema Registry client, wired in one call the way Aspire's client integrations are.</summary>
public static class SchemaRegistryClientExtensions
{
    /// <summary>
    /// Registers one <see cref="ISchemaRegistryClient"/> (it caches schemas and ids) for
    /// <c>ConnectionStrings:schema-registry</c>, and a "schema-registry" readiness check (part of /health).
    /// </summary>
    public static IHostApplicationBuilder AddSchemaRegistryClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ISchemaRegistryClient>(sp => CreateSchemaRegistryClient(KafkaConnection.SchemaRegistryUrl(sp.GetRequiredService<IConfiguration>())));
        builder.Services.AddHealthChecks().AddCheck<SchemaRegistryHealthCheck>(KafkaConnection.SchemaRegistryConnectionName, tags: ["ready"]);
        return builder;
    }

    /// <summary>The client for a registry at <paramref name="url"/>, for a command that runs without a host; a service uses <see cref="AddSchemaRegistryClient"/>.</summary>
    public static CachedSchemaRegistryClient CreateSchemaRegistryClient(string url) => new(new SchemaRegistryConfig { Url = url });
}

/// <summary>Healthy when the registry lists its subjects in time.</summary>
public sealed class SchemaRegistryHealthCheck(ISchemaRegistryClient registry) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var subjects = await registry.GetAllSubjectsAsync().WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy($"{subjects.Count} subject(s)");
        }
        catch (Exception e) when (e is HttpRequestException or SchemaRegistryException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"the Schema Registry does not answer: {e.Describe()}");
        }
    }
}
