using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// Apache Spark: a Spark Connect server with the Kafka and Avro packages, the driver of a standalone cluster (a master
/// and <see cref="ContainerScale.SparkWorkers"/> workers); its address is <c>sc://host:port</c>.
/// </summary>
public sealed class SparkConnectResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string Version = "3.5.3";

    /// <summary>
    /// Where the driver and the workers share their files: a volume at the image's working directory, which the image's
    /// user (spark, uid 185) owns, so that Docker gives the new volume that owner (a volume mounted at a directory the
    /// image lacks is root's, and every streaming query failed writing its checkpoints there).
    /// </summary>
    public const string WorkDirectory = "/opt/spark/work-dir";

    public const string CheckpointDirectory = WorkDirectory + "/checkpoints";

    public EndpointReference GrpcEndpoint => new(this, "grpc");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"sc://{GrpcEndpoint.Property(EndpointProperty.HostAndPort)}");
}

public static class SparkResourceExtensions
{
    /// <summary>Spark with Spark Connect on a standalone cluster of <see cref="ContainerScale.SparkWorkers"/> workers: the containers realisation.</summary>
    public static IResourceBuilder<SparkConnectResource> AddSpark(this IDistributedApplicationBuilder builder, string name, ContainerScale scale)
    {
        var masterName = $"{name}-master";
        var master = builder.AddContainer(masterName, "apache/spark", SparkConnectResource.Version)
            .WithEndpoint(targetPort: 7077, name: "spark", scheme: "tcp")
            .WithArgs("/opt/spark/bin/spark-class", "org.apache.spark.deploy.master.Master", "--host", masterName, "--port", "7077", "--webui-port", "8080")
            .WithEnvironment("SPARK_DAEMON_MEMORY", "512m")
            .WithTcpHealthcheck(7077);
        var workers = Enumerable.Range(1, scale.SparkWorkers).Select(i => builder.AddContainer($"{name}-worker-{i}", "apache/spark", SparkConnectResource.Version)
                .WithArgs("/opt/spark/bin/spark-class", "org.apache.spark.deploy.worker.Worker", "--host", $"{name}-worker-{i}", "--cores", "1", "--memory", "1g",
                    $"spark://{masterName}:7077")
                .WithEnvironment("SPARK_DAEMON_MEMORY", "256m")
                .WithVolume("cryptoetl-spark-work", SparkConnectResource.WorkDirectory)
                .WithTcpHealthcheck(8081)
                .WaitFor(master))
            .ToList();
        var packages = string.Join(",", new[] { "spark-connect", "spark-sql-kafka-0-10", "spark-avro" }.Select(p => $"org.apache.spark:{p}_2.12:{SparkConnectResource.Version}"));
        var connect = builder.AddResource(new SparkConnectResource(name))
            .WithImage("apache/spark", SparkConnectResource.Version)
            .WithEndpoint(targetPort: 15002, name: "grpc", scheme: "tcp")
            .WithHttpEndpoint(port: 4040, targetPort: 4040, name: "ui")
            .WithEnvironment("SPARK_NO_DAEMONIZE", "true")
            // The image's user (uid 185) has no writable home, so Ivy resolves the packages under /tmp.
            .WithArgs("/opt/spark/sbin/start-connect-server.sh", "--master", $"spark://{masterName}:7077",
                "--conf", $"spark.driver.host={name}", "--conf", "spark.driver.bindAddress=0.0.0.0", "--conf", "spark.driver.memory=1g",
                "--conf", "spark.executor.memory=768m", "--conf", "spark.jars.ivy=/tmp/.ivy2", "--packages", packages)
            .WithVolume("cryptoetl-spark-work", SparkConnectResource.WorkDirectory)
            .WithTcpHealthcheck(15002, startSeconds: 180) // the packages download at the first start
            .WaitFor(master);
        foreach (var worker in workers)
        {
            connect.WaitFor(worker);
        }

        return connect;
    }

    /// <summary>Runs the job on Spark (<c>run --engine spark</c>, reading Kafka at its in-network address, checkpoints on Spark's volume).</summary>
    public static IResourceBuilder<ProjectResource> WithSparkEngine(this IResourceBuilder<ProjectResource> job, IResourceBuilder<SparkConnectResource> spark,
        IResourceBuilder<IResourceWithConnectionString> kafka) =>
        job.WithArgs("run", "--engine", "spark")
            .WithReference(spark).WaitFor(spark)
            .WithEnvironment("Spark__KafkaBootstrapServers", kafka.BootstrapForContainers())
            .WithEnvironment("Spark__CheckpointDir", SparkConnectResource.CheckpointDirectory);

    /// <summary>Runs the job on its local executor, which stands in for Spark (the same transformation, in the job's own process).</summary>
    public static IResourceBuilder<ProjectResource> WithLocalEngine(this IResourceBuilder<ProjectResource> job, IResourceBuilder<ReplacedResource> spark) =>
        job.WithArgs("run", "--engine", "local").WithReferenceRelationship(spark);
}
