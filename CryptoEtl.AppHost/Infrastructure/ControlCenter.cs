using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>Confluent Control Center (cp-enterprise-control-center): the containers realisation of <c>control-center</c>.</summary>
public sealed class ControlCenterResource(string name) : ContainerResource(name);

public static class ControlCenterResourceExtensions
{
    /// <summary>
    /// Confluent Control Center over the containers' Kafka and registry; embedded, CryptoEtl's own console
    /// (CryptoEtl.ControlCenter), which reads Kafka and the services' APIs.
    /// </summary>
    public static IResourceBuilder<IResource> AddControlCenter(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<IResourceWithConnectionString> kafka, IResourceBuilder<IResourceWithConnectionString> schemaRegistry, string source,
        params IResourceBuilder<IResourceWithEndpoints>[] services)
    {
        if (PipelineRunOptions.Of(builder).Embedded)
        {
            var console = builder.AddProject<Projects.CryptoEtl_ControlCenter>(name)
                .WithConnectionStringsAndServiceDiscovery()
                .WithHttpEndpoint()
                .WithHttpHealthCheck("/health")
                .WithEnvironment("Pipeline__Source", source)
                .WithReference(kafka).WaitFor(kafka)
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

        return builder.AddResource(new ControlCenterResource(name))
            .WithImage("confluentinc/cp-enterprise-control-center", KafkaResourceExtensions.ConfluentVersion)
            .WithHttpEndpoint(port: 9021, targetPort: 9021, name: "http")
            .WithEnvironment("CONTROL_CENTER_BOOTSTRAP_SERVERS", kafka.BootstrapForContainers())
            .WithEnvironment("CONTROL_CENTER_SCHEMA_REGISTRY_URL", schemaRegistry.Resource.ConnectionStringExpression)
            .WithEnvironment("CONTROL_CENTER_REPLICATION_FACTOR", "1")
            .WithEnvironment("CONTROL_CENTER_INTERNAL_TOPICS_PARTITIONS", "1")
            .WithEnvironment("CONTROL_CENTER_MONITORING_INTERCEPTOR_TOPIC_PARTITIONS", "1")
            .WithEnvironment("CONFLUENT_METRICS_TOPIC_REPLICATION", "1")
            .WithEnvironment("PORT", "9021")
            .WithReferenceRelationship(kafka).WaitFor(kafka)
            .WithReferenceRelationship(schemaRegistry).WaitFor(schemaRegistry);
    }
}
