using Confluent.Kafka;
using CryptoEtl.AppHost.Running;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>Confluent's Kafka broker (cp-kafka, with ZooKeeper): the containers realisation of <c>kafka</c>.</summary>
/// <remarks>
/// Like Aspire's own Kafka resource, two listeners: <c>tcp</c> for processes on the host, <c>internal</c> for containers.
/// Deployed, every client is a container, so the connection string names the internal listener.
/// </remarks>
public sealed class KafkaServerResource(string name, bool clientsAreContainers) : ContainerResource(name), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string InternalEndpointName = "internal";

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public EndpointReference InternalEndpoint => new(this, InternalEndpointName, KnownNetworkIdentifiers.DefaultAspireContainerNetwork);

    public ReferenceExpression ConnectionStringExpression => clientsAreContainers
        ? ReferenceExpression.Create($"{InternalEndpoint.Property(EndpointProperty.HostAndPort)}")
        : ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
}

/// <summary>librdkafka's built-in broker (CryptoEtl.DevServices <c>kafka</c>): the embedded realisation of <c>kafka</c>. Data in memory only.</summary>
public sealed class EmbeddedKafkaResource(string name) : DevServicesResource(name), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    // The broker's bootstrap listener binds 127.0.0.1, so clients are not sent to ::1 first.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"127.0.0.1:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

/// <summary>ZooKeeper (cp-zookeeper), which the containers' Kafka needs.</summary>
public sealed class ZookeeperResource(string name) : ContainerResource(name)
{
    public EndpointReference Endpoint => new(this, "tcp");
}

public static class KafkaResourceExtensions
{
    public const string ConfluentVersion = "7.6.1";

    public static IResourceBuilder<IResource> AddZookeeper(this IDistributedApplicationBuilder builder, string name) => PipelineRunOptions.Of(builder).Embedded
        ? builder.AddReplaced(name, "ZooKeeper", "nothing: the embedded broker keeps its own metadata")
        : builder.AddResource(new ZookeeperResource(name))
            .WithImage("confluentinc/cp-zookeeper", ConfluentVersion)
            .WithEndpoint(targetPort: 2181, name: "tcp", scheme: "tcp")
            .WithEnvironment("ZOOKEEPER_CLIENT_PORT", "2181")
            .WithEnvironment("ZOOKEEPER_TICK_TIME", "2000");

    public static IResourceBuilder<IResourceWithConnectionString> AddKafka(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<IResource> zookeeper)
    {
        if (PipelineRunOptions.Of(builder).Embedded)
        {
            var embedded = new EmbeddedKafkaResource(name);
            return builder.AddDevServicesCommand(embedded, "kafka")
                .WithArgs("--pipeline-topics", "--port", embedded.PrimaryEndpoint.Property(EndpointProperty.TargetPort))
                // The broker binds its own port: no proxy in front of it, the port is handed to it on its command line.
                .WithEndpoint(name: EmbeddedKafkaResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
                .WithKafkaHealthCheck(builder, embedded);
        }

        var kafka = new KafkaServerResource(name, clientsAreContainers: builder.ExecutionContext.IsPublishMode);
        var zookeeperEndpoint = ((ZookeeperResource)zookeeper.Resource).Endpoint;
        return builder.AddResource(kafka)
            .WithImage("confluentinc/cp-kafka", ConfluentVersion)
            .WithEndpoint(port: 9092, targetPort: 9092, name: KafkaServerResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithEndpoint(targetPort: 29092, name: KafkaServerResource.InternalEndpointName, scheme: "tcp")
            .WithEnvironment("KAFKA_BROKER_ID", "1")
            .WithEnvironment("KAFKA_ZOOKEEPER_CONNECT", ReferenceExpression.Create($"{zookeeperEndpoint.Property(EndpointProperty.Host)}:{zookeeperEndpoint.Property(EndpointProperty.TargetPort)}"))
            .WithEnvironment("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:29092,PLAINTEXT_HOST://0.0.0.0:9092")
            .WithEnvironment("KAFKA_ADVERTISED_LISTENERS", ReferenceExpression.Create($"PLAINTEXT://{kafka.InternalEndpoint.Property(EndpointProperty.Host)}:29092,PLAINTEXT_HOST://localhost:9092"))
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT")
            .WithEnvironment("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT")
            .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .WithEnvironment("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true")
            .WithEnvironment("KAFKA_NUM_PARTITIONS", "6")
            .WaitFor(zookeeper)
            .WithKafkaHealthCheck(builder, kafka);
    }

    /// <summary>What containers use to reach Kafka: the in-network listener, or the host one when Kafka is a process.</summary>
    public static ReferenceExpression BootstrapForContainers(this IResourceBuilder<IResourceWithConnectionString> kafka) => kafka.Resource is KafkaServerResource server
        ? ReferenceExpression.Create($"{server.InternalEndpoint.Property(EndpointProperty.HostAndPort)}")
        : kafka.Resource.ConnectionStringExpression;

    /// <summary>Healthy once the broker answers a metadata request, as Aspire's Kafka integration checks it; WaitFor(kafka) means that.</summary>
    private static IResourceBuilder<T> WithKafkaHealthCheck<T>(this IResourceBuilder<T> kafka, IDistributedApplicationBuilder builder, IResourceWithConnectionString resource)
        where T : IResourceWithConnectionString
    {
        string? bootstrapServers = null;
        kafka.OnConnectionStringAvailable(async (_, _, cancellation) => bootstrapServers = await resource.GetConnectionStringAsync(cancellation));
        var key = $"{resource.Name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => new KafkaMetadataHealthCheck(() => bootstrapServers), failureStatus: null, tags: null));
        return kafka.WithHealthCheck(key);
    }
}

internal sealed class KafkaMetadataHealthCheck(Func<string?> bootstrapServers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.Run(() =>
    {
        if (bootstrapServers() is not { } servers)
        {
            return HealthCheckResult.Unhealthy("The broker's address is not known yet.");
        }

        try
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = servers, SocketTimeoutMs = 3000 }).SetLogHandler((_, _) => { }).Build();
            var metadata = admin.GetMetadata(TimeSpan.FromSeconds(3));
            return HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s), {metadata.Topics.Count} topic(s)");
        }
        catch (KafkaException e)
        {
            return HealthCheckResult.Unhealthy($"No metadata from {servers}: {e.Error.Reason}");
        }
    }, cancellationToken);
}
