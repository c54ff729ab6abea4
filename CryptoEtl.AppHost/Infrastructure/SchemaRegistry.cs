using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>Confluent's Schema Registry (cp-schema-registry): the containers realisation of <c>schema-registry</c>.</summary>
public sealed class SchemaRegistryResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "http");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.Url)}");
}

/// <summary>CryptoEtl's Confluent-compatible registry (CryptoEtl.DevServices <c>schema-registry</c>): the embedded realisation. Its state is a file in the state directory.</summary>
public sealed class EmbeddedSchemaRegistryResource(string name) : DevServicesResource(name), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "http");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"http://127.0.0.1:{Endpoint.Property(EndpointProperty.Port)}");
}

public static class SchemaRegistryResourceExtensions
{
    /// <summary>CryptoEtl's registry, its state in <paramref name="stateDirectory"/>: the embedded realisation.</summary>
    public static IResourceBuilder<EmbeddedSchemaRegistryResource> AddEmbeddedSchemaRegistry(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<IResourceWithConnectionString> kafka, string stateDirectory)
    {
        var embedded = new EmbeddedSchemaRegistryResource(name);
        return builder.AddDevServicesCommand(embedded, "schema-registry")
            .WithArgs("--port", embedded.Endpoint.Property(EndpointProperty.TargetPort), "--state-dir", stateDirectory)
            .WithHttpEndpoint(name: "http", isProxied: false)
            .WithHttpHealthCheck("/health")
            .WithReferenceRelationship(kafka);
    }

    /// <summary>Confluent's Schema Registry, its schemas replicated as the cluster's topics are: the containers realisation.</summary>
    public static IResourceBuilder<SchemaRegistryResource> AddConfluentSchemaRegistry(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<IResourceWithConnectionString> kafka, ContainerScale scale) =>
        builder.AddResource(new SchemaRegistryResource(name))
            .WithImage("confluentinc/cp-schema-registry", KafkaResourceExtensions.ConfluentVersion)
            .WithHttpEndpoint(port: 8081, targetPort: 8081, name: "http")
            .WithEnvironment("SCHEMA_REGISTRY_HOST_NAME", name)
            .WithEnvironment("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
            .WithEnvironment("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", kafka.BootstrapForContainers())
            .WithEnvironment("SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR", scale.Replication.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("SCHEMA_REGISTRY_HEAP_OPTS", "-Xms256m -Xmx256m")
            .WithHttpHealthCheck("/subjects")
            .WithCurlHealthcheck("http://localhost:8081/subjects", startSeconds: 60)
            .WithReferenceRelationship(kafka)
            .WaitForKafka(kafka);
}
