using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>Confluent Control Center (cp-enterprise-control-center): the containers realisation of <c>control-center</c>.</summary>
public sealed class ControlCenterResource(string name) : ContainerResource(name);

public static class ControlCenterResourceExtensions
{
    /// <summary>The name of CryptoEtl's console beside Confluent Control Center in the containers realisation.</summary>
    public const string ConsoleName = "console";

    /// <summary>
    /// CryptoEtl's own console (CryptoEtl.ControlCenter: the pipeline's status, record browsing, dead-letter replay, the
    /// market), which reads Kafka, the registry and the services' APIs (each of <paramref name="services"/> by name);
    /// on <paramref name="port"/> when given.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddConsole(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<IResourceWithConnectionString> kafka, IResourceBuilder<IResourceWithConnectionString> schemaRegistry, string source,
        int? port, params IResourceBuilder<IResourceWithEndpoints>[] services)
    {
        var console = builder.AddProject<Projects.CryptoEtl_ControlCenter>(name)
            .WithConnectionStringsAndServiceDiscovery()
            .WithHttpEndpoint(port: port)
            .WithHttpHealthCheck("/health")
            .WithCurlHealthcheck("http://localhost:8080/health")
            .WithEnvironment("Pipeline__Source", source)
            .WithKafka(kafka)
            .WithReference(schemaRegistry).WaitFor(schemaRegistry)
            .WithHttpCommand("/api/deadletters/replay", "Replay dead letters", commandName: "replay-dead-letters", commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Send every dead letter that can go back to the topic it came from (the console's Dead letters section filters by stage and reason).",
                ConfirmationMessage = "Send the dead letters back to the topics they came from? Do it once their cause is fixed; a record that fails again is not replayed again.",
                IconName = "ArrowReply",
            });
        foreach (var service in services)
        {
            console.WithReference(service.GetEndpoint("http"));
        }

        return console;
    }

    /// <summary>Confluent Control Center over the containers' Kafka and registry: the containers realisation, beside the console.</summary>
    public static IResourceBuilder<ControlCenterResource> AddConfluentControlCenter(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<IResourceWithConnectionString> kafka, IResourceBuilder<IResourceWithConnectionString> schemaRegistry, ContainerScale scale)
    {
        var replication = scale.Replication.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return builder.AddResource(new ControlCenterResource(name))
            .WithImage("confluentinc/cp-enterprise-control-center", KafkaResourceExtensions.ConfluentVersion)
            .WithHttpEndpoint(port: 9021, targetPort: 9021, name: "http")
            .WithEnvironment("CONTROL_CENTER_BOOTSTRAP_SERVERS", kafka.BootstrapForContainers())
            .WithEnvironment("CONTROL_CENTER_SCHEMA_REGISTRY_URL", schemaRegistry.Resource.ConnectionStringExpression)
            .WithEnvironment("CONTROL_CENTER_REPLICATION_FACTOR", replication)
            .WithEnvironment("CONTROL_CENTER_INTERNAL_TOPICS_PARTITIONS", "1")
            .WithEnvironment("CONTROL_CENTER_MONITORING_INTERCEPTOR_TOPIC_PARTITIONS", "1")
            .WithEnvironment("CONFLUENT_METRICS_TOPIC_REPLICATION", replication)
            .WithEnvironment("PORT", "9021")
            // Its default heap is 6 GB (Confluent's system requirements); 2 GB serves a cluster this small.
            .WithEnvironment("CONTROL_CENTER_HEAP_OPTS", "-Xms1g -Xmx2g")
            .WithCurlHealthcheck("http://localhost:9021/", startSeconds: 120)
            .WithReferenceRelationship(kafka).WaitForKafka(kafka)
            .WithReferenceRelationship(schemaRegistry).WaitFor(schemaRegistry);
    }
}
