using CryptoEtl.AppHost.Running;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>A broker of the containers' Kafka (cp-kafka, with ZooKeeper).</summary>
/// <remarks>
/// Like Aspire's own Kafka resource, two listeners: <c>tcp</c> for processes on the host, <c>internal</c> for containers.
/// </remarks>
public class KafkaBrokerResource(string name, int brokerId) : ContainerResource(name)
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string InternalEndpointName = "internal";
    internal const int InternalPort = 29092;

    public int BrokerId { get; } = brokerId;

    /// <summary>The host's port of broker 1 is 9092, of broker 2 9093, ...</summary>
    public int HostPort => 9091 + BrokerId;

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public EndpointReference InternalEndpoint => new(this, InternalEndpointName, KnownNetworkIdentifiers.DefaultAspireContainerNetwork);
}

/// <summary>
/// Confluent's Kafka (cp-kafka, with ZooKeeper): the containers realisation of <c>kafka</c>, this broker and the others
/// of <see cref="ContainerScale.KafkaBrokers"/>. Its connection string lists every broker. Deployed, every client is a
/// container, so the connection string names the internal listeners.
/// </summary>
public sealed class KafkaServerResource(string name, bool clientsAreContainers) : KafkaBrokerResource(name, 1), IResourceWithConnectionString
{
    public List<KafkaBrokerResource> Brokers { get; } = [];

    /// <summary>The one-shot container that creates the pipeline's topics, which every client waits for.</summary>
    public KafkaTopicsResource? Topics { get; set; }

    public ReferenceExpression ConnectionStringExpression => clientsAreContainers ? ContainerBootstrap : HostBootstrap;

    /// <summary>Every broker's in-network listener: what containers use.</summary>
    public ReferenceExpression ContainerBootstrap => Join(Brokers.Select(b => b.InternalEndpoint));

    private ReferenceExpression HostBootstrap => Join(Brokers.Select(b => b.PrimaryEndpoint));

    private static ReferenceExpression Join(IEnumerable<EndpointReference> endpoints)
    {
        var expression = new ReferenceExpressionBuilder();
        foreach (var (endpoint, i) in endpoints.Select((e, i) => (e, i)))
        {
            if (i > 0)
            {
                expression.AppendLiteral(",");
            }

            expression.Append($"{endpoint.Property(EndpointProperty.HostAndPort)}");
        }

        return expression.Build();
    }
}

/// <summary>A one-shot cp-kafka container that creates every topic of <see cref="CryptoEtl.Contracts.Topics.All"/> with its partitions, then exits.</summary>
public sealed class KafkaTopicsResource(string name) : ContainerResource(name);

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

    public static IResourceBuilder<ZookeeperResource> AddZookeeper(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new ZookeeperResource(name))
            .WithImage("confluentinc/cp-zookeeper", ConfluentVersion)
            .WithEndpoint(targetPort: 2181, name: "tcp", scheme: "tcp")
            .WithEnvironment("ZOOKEEPER_CLIENT_PORT", "2181")
            .WithEnvironment("ZOOKEEPER_TICK_TIME", "2000")
            .WithEnvironment("KAFKA_HEAP_OPTS", "-Xms256m -Xmx256m")
            // Snapshots and transaction logs both (cp-zookeeper's two volumes): without its log, ZooKeeper could lose the cluster id the brokers keep.
            .WithVolume("cryptoetl-zookeeper", "/var/lib/zookeeper/data")
            .WithVolume("cryptoetl-zookeeper-log", "/var/lib/zookeeper/log")
            .WithContainerHealthcheck(["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/2181 && echo srvr >&3 && grep -q Mode <&3"]);

    /// <summary>librdkafka's built-in broker with the pipeline's topics: the embedded realisation of Kafka.</summary>
    public static IResourceBuilder<EmbeddedKafkaResource> AddEmbeddedKafka(this IDistributedApplicationBuilder builder, string name)
    {
        var embedded = new EmbeddedKafkaResource(name);
        return builder.AddDevServicesCommand(embedded, "kafka")
            .WithArgs("--pipeline-topics", "--port", embedded.PrimaryEndpoint.Property(EndpointProperty.TargetPort))
            // The broker binds its own port: no proxy in front of it, the port is handed to it on its command line.
            .WithEndpoint(name: EmbeddedKafkaResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithKafkaHealthCheck(builder, embedded);
    }

    /// <summary>Confluent's Kafka, its brokers (<see cref="ContainerScale.KafkaBrokers"/>) and kafka-init: the containers realisation.</summary>
    public static IResourceBuilder<KafkaServerResource> AddConfluentKafka(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ZookeeperResource> zookeeper, ContainerScale scale)
    {
        var kafka = builder.AddResource(new KafkaServerResource(name, clientsAreContainers: builder.ExecutionContext.IsPublishMode));
        var brokers = new List<IResourceBuilder<KafkaBrokerResource>> { AddBroker(kafka, kafka.Resource, zookeeper, scale) };
        for (var id = 2; id <= scale.KafkaBrokers; id++)
        {
            brokers.Add(AddBroker(builder.AddResource(new KafkaBrokerResource($"{name}-{id}", id)), kafka.Resource, zookeeper, scale));
        }

        kafka.Resource.Topics = builder.AddKafkaTopics($"{name}-init", kafka.Resource, brokers, scale).Resource;
        return kafka.WithKafkaHealthCheck(builder, kafka.Resource);
    }

    /// <summary>
    /// A client of Kafka: its connection string, and it waits for the cluster (and, for the containers' Kafka, for the
    /// pipeline's topics to exist: nothing subscribes to a topic that is not there yet).
    /// </summary>
    public static IResourceBuilder<T> WithKafka<T>(this IResourceBuilder<T> client, IResourceBuilder<IResourceWithConnectionString> kafka)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        client.WithReference(kafka).WaitForKafka(kafka);

    /// <summary>
    /// Waits for the cluster: for the containers' Kafka, until kafka-init has created the topics, which it does once every
    /// broker is healthy (a client whose own topics are replicated, like the registry, needs all of them).
    /// </summary>
    public static IResourceBuilder<T> WaitForKafka<T>(this IResourceBuilder<T> client, IResourceBuilder<IResourceWithConnectionString> kafka)
        where T : IResourceWithWaitSupport
    {
        client.WaitFor(kafka);
        return kafka.Resource is KafkaServerResource { Topics: { } topics } ? client.WaitForCompletion(client.ApplicationBuilder.CreateResourceBuilder(topics)) : client;
    }

    private static IResourceBuilder<T> AddBroker<T>(IResourceBuilder<T> broker, KafkaServerResource cluster,
        IResourceBuilder<ZookeeperResource> zookeeper, ContainerScale scale) where T : KafkaBrokerResource
    {
        cluster.Brokers.Add(broker.Resource);
        var zookeeperEndpoint = zookeeper.Resource.Endpoint;
        var replication = scale.Replication.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var brokerResource = broker.Resource;
        var internalPort = KafkaBrokerResource.InternalPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var hostPort = brokerResource.HostPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var listeners = $"PLAINTEXT://0.0.0.0:{internalPort},PLAINTEXT_HOST://0.0.0.0:{hostPort}";
        return broker
            .WithImage("confluentinc/cp-kafka", ConfluentVersion)
            .WithEndpoint(port: brokerResource.HostPort, targetPort: brokerResource.HostPort, name: KafkaBrokerResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithEndpoint(targetPort: KafkaBrokerResource.InternalPort, name: KafkaBrokerResource.InternalEndpointName, scheme: "tcp")
            .WithEnvironment("KAFKA_BROKER_ID", brokerResource.BrokerId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("KAFKA_ZOOKEEPER_CONNECT", ReferenceExpression.Create($"{zookeeperEndpoint.Property(EndpointProperty.Host)}:{zookeeperEndpoint.Property(EndpointProperty.TargetPort)}"))
            .WithEnvironment("KAFKA_LISTENERS", listeners)
            .WithEnvironment("KAFKA_ADVERTISED_LISTENERS", ReferenceExpression.Create(
                $"PLAINTEXT://{brokerResource.InternalEndpoint.Property(EndpointProperty.Host)}:{internalPort},PLAINTEXT_HOST://localhost:{hostPort}"))
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT")
            .WithEnvironment("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT")
            // Topics are created by kafka-init with their partitions; a topic nobody created is a mistake, not a default.
            .WithEnvironment("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
            .WithEnvironment("KAFKA_DEFAULT_REPLICATION_FACTOR", replication)
            .WithEnvironment("KAFKA_MIN_INSYNC_REPLICAS", scale.MinInSyncReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", replication)
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", replication)
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", scale.MinInSyncReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("KAFKA_HEAP_OPTS", "-Xms512m -Xmx512m")
            .WithVolume($"cryptoetl-{brokerResource.Name}", "/var/lib/kafka/data")
            .WithContainerHealthcheck(["CMD", "kafka-broker-api-versions", "--bootstrap-server", $"localhost:{KafkaBrokerResource.InternalPort}"])
            .WaitFor(zookeeper);
    }

    /// <summary>
    /// kafka-init: creates every pipeline topic with its partitions and the cluster's replication, once every broker is
    /// healthy, then exits. Each step is idempotent (<c>--if-not-exists</c>), so a host that starts it again, as a
    /// deployment's container host does with a container that exits, finds the topics there and exits again.
    /// </summary>
    private static IResourceBuilder<KafkaTopicsResource> AddKafkaTopics(this IDistributedApplicationBuilder builder, string name, KafkaServerResource kafka,
        IReadOnlyList<IResourceBuilder<KafkaBrokerResource>> brokers, ContainerScale scale)
    {
        var script = string.Join(" && ", CryptoEtl.Contracts.Topics.All.Select(t =>
            $"kafka-topics --bootstrap-server \"$BOOTSTRAP\" --create --if-not-exists --topic {t.Name} --partitions {t.Partitions} --replication-factor {scale.Replication}"));
        var init = builder.AddResource(new KafkaTopicsResource(name))
            .WithImage("confluentinc/cp-kafka", ConfluentVersion)
            .WithEntrypoint("bash")
            .WithArgs("-c", script)
            .WithEnvironment("BOOTSTRAP", kafka.ContainerBootstrap);
        foreach (var broker in brokers)
        {
            init.WaitFor(broker);
        }

        return init;
    }

    /// <summary>What containers use to reach Kafka: the in-network listeners, or the host one when Kafka is a process.</summary>
    public static ReferenceExpression BootstrapForContainers(this IResourceBuilder<IResourceWithConnectionString> kafka) => kafka.Resource is KafkaServerResource server
        ? server.ContainerBootstrap
        : kafka.Resource.ConnectionStringExpression;

    /// <summary>Healthy once the broker answers a metadata request, as Aspire's Kafka integration checks it; WaitFor(kafka) means that.</summary>
    private static IResourceBuilder<T> WithKafkaHealthCheck<T>(this IResourceBuilder<T> kafka, IDistributedApplicationBuilder builder, IResourceWithConnectionString resource)
        where T : IResourceWithConnectionString
    {
        string? bootstrapServers = null;
        kafka.OnConnectionStringAvailable(async (_, _, cancellation) => bootstrapServers = await resource.GetConnectionStringAsync(cancellation));
        var key = $"{resource.Name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => new CryptoEtl.Kafka.KafkaHealthCheck(() => bootstrapServers), failureStatus: null, tags: null));
        return kafka.WithHealthCheck(key);
    }
}
