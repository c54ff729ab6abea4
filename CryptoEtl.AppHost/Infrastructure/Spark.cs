using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>Apache Spark running a Spark Connect server with the Kafka and Avro packages; its address is <c>sc://host:port</c>.</summary>
public sealed class SparkConnectResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string Version = "3.5.3";

    public EndpointReference GrpcEndpoint => new(this, "grpc");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"sc://{GrpcEndpoint.Property(EndpointProperty.HostAndPort)}");
}

public static class SparkResourceExtensions
{
    /// <summary>Spark with Spark Connect; embedded, not started: the job's local executor runs the same transformation.</summary>
    public static IResourceBuilder<IResource> AddSpark(this IDistributedApplicationBuilder builder, string name) => PipelineRunOptions.Of(builder).Embedded
        ? builder.AddReplaced(name, "Spark", "sparkjob's local executor: the same transformation, in the job's own process")
        : builder.AddResource(new SparkConnectResource(name))
            .WithImage("apache/spark", SparkConnectResource.Version)
            .WithEndpoint(port: 15002, targetPort: 15002, name: "grpc", scheme: "tcp")
            .WithHttpEndpoint(port: 4040, targetPort: 4040, name: "ui")
            .WithEnvironment("SPARK_NO_DAEMONIZE", "true")
            // The image's user (uid 185) has no writable home, so Ivy resolves the packages under /tmp.
            .WithArgs("/opt/spark/sbin/start-connect-server.sh", "--conf", "spark.jars.ivy=/tmp/.ivy2", "--packages",
                $"org.apache.spark:spark-connect_2.12:{SparkConnectResource.Version},org.apache.spark:spark-sql-kafka-0-10_2.12:{SparkConnectResource.Version},org.apache.spark:spark-avro_2.12:{SparkConnectResource.Version}")
            .WithVolume("cryptoetl-spark-checkpoints", "/checkpoints");

    /// <summary>
    /// Runs the job on Spark when Spark is a server of the model (<c>run --engine spark</c>, reading Kafka at its
    /// in-network address, checkpoints on Spark's volume), or on its local executor when it stands in for Spark.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSparkEngine(this IResourceBuilder<ProjectResource> job, IResourceBuilder<IResource> spark, IResourceBuilder<IResourceWithConnectionString> kafka)
    {
        if (spark.Resource is not SparkConnectResource server)
        {
            return job.WithArgs("run", "--engine", "local").WithReferenceRelationship(spark);
        }

        var sparkConnect = job.ApplicationBuilder.CreateResourceBuilder(server);
        return job.WithArgs("run", "--engine", "spark")
            .WithReference(sparkConnect).WaitFor(sparkConnect)
            .WithEnvironment("Spark__KafkaBootstrapServers", kafka.BootstrapForContainers())
            .WithEnvironment("Spark__CheckpointDir", "/checkpoints");
    }
}
