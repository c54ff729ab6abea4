using Confluent.SchemaRegistry;
using CryptoEtl.Kafka;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.ServiceDefaults.Tests;

public sealed class SchemaRegistryHealthCheckTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_check_is_healthy_while_the_registry_answers_and_says_why_not_when_nothing_listens()
    {
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        using var reachable = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = infrastructure.RegistryUrl });
        using var unreachable = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = $"http://127.0.0.1:{FreePorts.Next()}" });

        var up = await new SchemaRegistryHealthCheck(reachable).CheckHealthAsync(new HealthCheckContext(), Cancel);
        var down = await new SchemaRegistryHealthCheck(unreachable).CheckHealthAsync(new HealthCheckContext(), Cancel);

        Assert.Equal(HealthStatus.Healthy, up.Status);
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.StartsWith("the Schema Registry does not answer: ", down.Description, StringComparison.Ordinal);
    }
}
