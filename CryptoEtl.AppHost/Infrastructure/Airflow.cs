using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// Apache Airflow (standalone) running the crypto_etl DAG, its metadata in PostgreSQL: an image of apache/airflow with
/// docker/airflow/dags in it (built from docker/airflow/Dockerfile, so a deployment needs no bind mount), its admin user
/// created with the <c>airflow-admin-password</c> parameter (standalone would make a random one, lost with the container).
/// </summary>
public sealed class AirflowResource(string name) : ContainerResource(name)
{
    public const string Image = "apache/airflow";
    public const string Version = "2.9.3";
}

/// <summary>
/// The embedded scheduler (CryptoEtl.DevServices <c>scheduler</c>): the DAG's schedule file followed in-process, its
/// DAG runs in the <c>airflow</c> database. The embedded realisation of <c>airflow</c>.
/// </summary>
public sealed class EmbeddedSchedulerResource(string name) : DevServicesResource(name)
{
    public EndpointReference Endpoint => new(this, "http");
}

public static class AirflowResourceExtensions
{
    public const string DagsDirectory = "docker/airflow/dags";

    /// <summary>
    /// The embedded scheduler, following the DAG's schedule file for <paramref name="run"/>'s environment, triggering
    /// Ingest's runs and checking the Processor's freshness: the embedded realisation of Airflow.
    /// </summary>
    public static IResourceBuilder<EmbeddedSchedulerResource> AddEmbeddedScheduler(this IDistributedApplicationBuilder builder, string name, PipelineRunOptions run,
        IResourceBuilder<IResourceWithConnectionString> database, IResourceBuilder<ProjectResource> ingest, IResourceBuilder<ProjectResource> processor)
    {
        var scheduler = new EmbeddedSchedulerResource(name);
        return builder.AddDevServicesCommand(scheduler, "scheduler")
            .WithConnectionStringsAndServiceDiscovery()
            .WithArgs("--port", scheduler.Endpoint.Property(EndpointProperty.TargetPort),
                "--schedule", Path.Combine(Dags(builder), "crypto_etl_schedule.json"), "--environment", run.ScheduleEnvironment,
                // The first data within a minute of start-up rather than at the schedule's first slot.
                "--run-at-start")
            .WithHttpEndpoint(name: "http", isProxied: false)
            .WithHttpHealthCheck("/health")
            .WithHttpCommand("/scheduler/runs", "Run now", commandName: "run-now", commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Start a DAG run now (refused while one is active).",
                IconName = "Play",
                IsHighlighted = true,
            })
            .WithStateDirectory(run)
            .WithReference(database, "postgres").WaitFor(database)
            .WithReference(ingest).WaitFor(ingest)
            .WithReference(processor).WaitFor(processor);
    }

    /// <summary>Airflow, triggering Ingest's runs and checking the Processor's freshness on the DAG's schedule: the containers realisation.</summary>
    public static IResourceBuilder<AirflowResource> AddAirflow(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<PostgresDatabaseResource> database,
        IResourceBuilder<ProjectResource> ingest, IResourceBuilder<ProjectResource> processor)
    {
        var adminPassword = builder.AddParameter($"{name}-admin-password", secret: true);
        return builder.AddResource(new AirflowResource(name))
            .WithImage(AirflowResource.Image, AirflowResource.Version)
            .WithDockerfile(Path.GetDirectoryName(Dags(builder))!)
            .WithHttpEndpoint(port: 8080, targetPort: 8080, name: "http")
            .WithArgs("standalone")
            .WithEnvironment("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", database.SqlAlchemyUrl())
            .WithEnvironment("PGPASSWORD", database.PasswordParameter())
            .WithEnvironment("AIRFLOW__CORE__LOAD_EXAMPLES", "false")
            .WithEnvironment("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
            .WithEnvironment("AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", "false")
            .WithEnvironment("_AIRFLOW_DB_MIGRATE", "true")
            .WithEnvironment("_AIRFLOW_WWW_USER_CREATE", "true")
            .WithEnvironment("_AIRFLOW_WWW_USER_USERNAME", "admin")
            .WithEnvironment("_AIRFLOW_WWW_USER_PASSWORD", adminPassword)
            .WithEnvironment("CRYPTOETL_INGEST_URL", ingest.GetEndpoint("http"))
            .WithEnvironment("CRYPTOETL_PROCESSOR_URL", processor.GetEndpoint("http"))
            .WithCurlHealthcheck("http://localhost:8080/health", startSeconds: 120)
            .WithReference(ingest).WaitFor(ingest)
            .WithReference(processor).WaitFor(processor)
            .WithReferenceRelationship(database).WaitFor(database);
    }

    private static string Dags(IDistributedApplicationBuilder builder) => Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", DagsDirectory));
}
