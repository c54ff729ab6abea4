using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>Confluent Control Center (cp-enterprise-control-center): the containers realisation of <c>control-center</c>.</summary>
public sealed class ControlCenterResource(string name) : ContainerResource(name);

public static class ControlCenterResourceExtensions
{
    /// <summary>The name of CryptoEtl's console beside Confluent Control Center in the containers realisation.</summary>
    public const string ConsoleName = "console";

    /// <summary>
    /// Confluent Control Center over the containers' Kafka and registry, with CryptoEtl's own console (CryptoEtl.ControlCenter:
    /// record browsing, dead-letter replay, the market) beside it as <see cref="ConsoleName"/>; embedded, the console alone
    /// as <paramref name="name"/>, which reads Kafka and the services' APIs.
    /// </summary>
    public static IResourceBuilder<IResource> AddControlCenter(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<IResourceWithConnectionString> kafka, IResourceBuilder<IResourceWithConnectionString> schemaRegistry, string source,
        params IResourceBuilder<IResourceWithEndpoints>[] services)
    {
        var run = PipelineRunOptions.Of(builder);
        var console = builder.AddProject<Projects.CryptoEtl_ControlCenter>(run.Embedded ? name : ConsoleName)
            .WithConnectionStringsAndServiceDiscovery()
            .WithHttpEndpoint(port: run.Embedded ? null : 8090)
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

        if (run.Embedded)
        {
            return console;
        }

        var replication = run.Scale.Replication.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
