using CryptoEtl.AppHost.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoEtl.AppHost.Tests.Model;

/// <summary>The one app model in its two realisations, read from the built model without running it (no Docker needed).</summary>
public sealed class AppModelTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_containers_realisation_has_the_pinned_images_their_endpoints_and_in_network_addresses()
    {
        await using var app = await BuildAsync("--mode", "containers");
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        Assert.Equal(new Dictionary<string, string>
        {
            ["zookeeper"] = "confluentinc/cp-zookeeper:7.6.1",
            ["kafka"] = "confluentinc/cp-kafka:7.6.1",
            ["kafka-init"] = "confluentinc/cp-kafka:7.6.1",
            ["schema-registry"] = "confluentinc/cp-schema-registry:7.6.1",
            ["postgres"] = "library/postgres:16.4",
            ["mongodb"] = "mongo:7.0.14",
            ["spark-master"] = "apache/spark:3.5.3",
            ["spark-worker-1"] = "apache/spark:3.5.3",
            ["spark-worker-2"] = "apache/spark:3.5.3",
            ["spark"] = "apache/spark:3.5.3",
            ["airflow"] = "apache/airflow:2.9.3",
            ["control-center"] = "confluentinc/cp-enterprise-control-center:7.6.1",
        }, model.Resources.Where(r => r.TryGetLastAnnotation<ContainerImageAnnotation>(out _))
            .ToDictionary(r => r.Name, r => r.Annotations.OfType<ContainerImageAnnotation>().Last() is var image ? $"{image.Image}:{image.Tag}" : ""));

        var kafka = Assert.IsType<KafkaServerResource>(Resource(model, "kafka"));
        Assert.Equal([("tcp", 9092, (int?)9092), ("internal", 29092, null)], kafka.Annotations.OfType<EndpointAnnotation>().Select(e => (e.Name, e.TargetPort!.Value, e.Port)));
        // Containers reach Kafka on its in-network listener; processes on the host on the published one.
        Assert.Equal("{kafka.bindings.internal.host}:{kafka.bindings.internal.port}", await EnvironmentAsync(app, "schema-registry", "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"));
        Assert.Equal("{kafka.bindings.internal.host}:{kafka.bindings.internal.port}", await EnvironmentAsync(app, "control-center", "CONTROL_CENTER_BOOTSTRAP_SERVERS"));
        Assert.Equal("{kafka.bindings.internal.host}:{kafka.bindings.internal.port}", await EnvironmentAsync(app, "sparkjob", "Spark__KafkaBootstrapServers"));
        Assert.Equal("{kafka.bindings.tcp.host}:{kafka.bindings.tcp.port}", kafka.ConnectionStringExpression.ValueExpression);
        // Passwords travel as settings of their own, never pasted into a connection string or a URL.
        Assert.Equal("Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Database=cryptoetl", await EnvironmentAsync(app, "ingest", "ConnectionStrings__postgres"));
        Assert.Equal("{postgres-password.value}", await EnvironmentAsync(app, "ingest", "Postgres__Password"));
        Assert.Equal("{market-db.connectionString}", await EnvironmentAsync(app, "processor", "ConnectionStrings__mongodb"));
        Assert.Equal("{mongodb-password.value}", await EnvironmentAsync(app, "processor", "Store__Password"));
        Assert.Equal("{spark.connectionString}", await EnvironmentAsync(app, "sparkjob", "ConnectionStrings__spark"));
        Assert.DoesNotContain("{postgres-password.value}", await EnvironmentAsync(app, "airflow", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"), StringComparison.Ordinal);
        Assert.Equal("{postgres-password.value}", await EnvironmentAsync(app, "airflow", "PGPASSWORD"));
        Assert.Equal(["run", "--engine", "spark"], await ArgumentsAsync(app, "sparkjob"));
        // Airflow's DAGs are in its image (a deployment cannot bind-mount them).
        Assert.Empty(Resource(model, "airflow").Annotations.OfType<ContainerMountAnnotation>());
        Assert.EndsWith(Path.Combine("docker", "airflow"), Resource(model, "airflow").Annotations.OfType<DockerfileBuildAnnotation>().Single().ContextPath, StringComparison.Ordinal);
        // The pipeline's topics exist before anything that uses Kafka starts.
        Assert.All(["ingest", "sparkjob", "processor", "console"], service => Assert.Contains(Resource(model, service).Annotations.OfType<WaitAnnotation>(),
            w => w.Resource.Name == "kafka-init" && w.WaitType == WaitType.WaitForCompletion));
        Assert.IsType<CoinGeckoApiResource>(Resource(model, "coingecko"));
        Assert.DoesNotContain(model.Resources, r => r is DevServicesResource or ReplacedResource or EmbeddedStoreResource);
    }

    /// <summary>
    /// In Aspire's own run of the containers, Docker runs each container's health check (the one compose carries) and
    /// WaitFor waits for Docker to call it healthy: the MongoDB member's check, which initiates the replica set, runs in
    /// both. Without a Docker engine here, the AppHost's check says what Docker answered.
    /// </summary>
    [Fact]
    public async Task In_Aspires_run_of_the_containers_Docker_runs_each_containers_health_check_and_WaitFor_waits_for_it()
    {
        await using var app = await BuildAsync("--mode", "containers", "--kafka-brokers", "3");
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        var checkedContainers = model.Resources.OfType<ContainerResource>().Where(r => r.TryGetLastAnnotation<ContainerHealthcheckAnnotation>(out _)).ToList();
        Assert.Superset(new HashSet<string> { "zookeeper", "kafka", "kafka-2", "kafka-3", "mongodb", "postgres", "schema-registry", "spark", "spark-master", "airflow" },
            checkedContainers.Select(r => r.Name).ToHashSet());
        foreach (var container in checkedContainers)
        {
            var healthcheck = container.Annotations.OfType<ContainerHealthcheckAnnotation>().Single();
            var args = new List<object>();
            foreach (var callback in container.Annotations.OfType<ContainerRuntimeArgsCallbackAnnotation>())
            {
                await callback.Callback(new ContainerRuntimeArgsCallbackContext(args, Cancel));
            }

            Assert.Equal(["--health-cmd", healthcheck.ShellLine, "--health-interval", "10s", "--health-timeout", "5s", "--health-retries", "6", "--health-start-period", $"{healthcheck.StartPeriod.TotalSeconds}s"], args);
            Assert.Equal($"cryptoetl-{container.Name}", container.Annotations.OfType<ContainerNameAnnotation>().Single().Name);
            Assert.Contains(container.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == $"{container.Name}_docker_health");
        }

        Assert.Contains("rs.initiate(", Resource(model, "mongodb").Annotations.OfType<ContainerHealthcheckAnnotation>().Single().ShellLine, StringComparison.Ordinal);
        var report = await app.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>()
            .CheckHealthAsync(r => r.Name == "mongodb_docker_health", Cancel);
        var mongodb = report.Entries["mongodb_docker_health"];
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, mongodb.Status);
        Assert.False(string.IsNullOrWhiteSpace(mongodb.Description));
    }

    /// <summary>Docker's <c>--health-cmd</c> is a line for /bin/sh: a CMD test's arguments reach the command unchanged, quotes and all.</summary>
    [Fact]
    public async Task A_CMD_health_check_becomes_a_shell_line_that_passes_every_argument_unchanged()
    {
        string[] arguments = ["it's", "a \"b\" $HOME `x` ; && |", ""];
        var healthcheck = new ContainerHealthcheckAnnotation(["CMD", "printf", "[%s]", .. arguments], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), 6, TimeSpan.FromSeconds(30));

        var result = await TestSupport.ExternalTool.RunAsync("/bin/sh", ["-c", healthcheck.ShellLine], cancellation: Cancel);

        Assert.Equal(string.Concat(arguments.Select(a => $"[{a}]")), result.Output);
        Assert.Equal("mongosh --eval \"x\"", new ContainerHealthcheckAnnotation(["CMD-SHELL", "mongosh --eval \"x\""], default, default, 1, default).ShellLine);
    }

    [Fact]
    public async Task The_embedded_realisation_runs_stand_ins_as_processes_and_shows_what_replaces_the_rest()
    {
        var state = Directory.CreateTempSubdirectory("cryptoetl-model").FullName;
        await using var app = await BuildAsync("--state-dir", state, "--source", "simulator", "--coins", "17000");
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        Assert.IsType<EmbeddedKafkaResource>(Resource(model, "kafka"));
        Assert.IsType<EmbeddedSchemaRegistryResource>(Resource(model, "schema-registry"));
        Assert.IsType<CoinGeckoSimulatorResource>(Resource(model, "coingecko"));
        Assert.IsType<EmbeddedSchedulerResource>(Resource(model, "airflow"));
        Assert.IsType<ProjectResource>(Resource(model, "control-center"));
        Assert.IsType<ReplacedResource>(Resource(model, "zookeeper"));
        // Dashboard commands where they save a trip.
        Assert.Contains(Resource(model, "airflow").Annotations.OfType<ResourceCommandAnnotation>(), c => (c.Name, c.DisplayName) == ("run-now", "Run now"));
        Assert.Contains(Resource(model, "control-center").Annotations.OfType<ResourceCommandAnnotation>(), c => (c.Name, c.DisplayName) == ("replay-dead-letters", "Replay dead letters"));
        Assert.IsType<ReplacedResource>(Resource(model, "spark"));
        Assert.Equal($"Data Source={Path.Combine(state, "postgres", "cryptoetl")}.db", await ConnectionStringAsync(model, "cryptoetl-db"));
        Assert.Equal($"Data Source={Path.Combine(state, "postgres", "airflow")}.db", await ConnectionStringAsync(model, "airflow-db"));
        Assert.Equal($"Filename={Path.Combine(state, "mongodb", "cryptoetl")}.litedb", await ConnectionStringAsync(model, "market-db"));
        Assert.Equal(["run", "--engine", "local"], await ArgumentsAsync(app, "sparkjob"));
        Assert.Contains("--pipeline-topics", await ArgumentsAsync(app, "kafka"));
        // --coins: the whole market's size, served by the simulator and fetched by every ingest run.
        Assert.Equal("17000", (await ArgumentsAsync(app, "coingecko")).SkipWhile(a => a != "--coins").ElementAt(1));
        Assert.Equal("17000", await EnvironmentAsync(app, "ingest", "CoinGecko__TopN"));
        // Nothing that only runs here is published.
        Assert.All(model.Resources.Where(r => r is DevServicesResource or ReplacedResource or EmbeddedStoreResource or EmbeddedDatabaseResource),
            r => Assert.True(r.TryGetLastAnnotation<ManifestPublishingCallbackAnnotation>(out var excluded) && excluded.Callback is null, $"{r.Name} would be published"));
    }

    [Fact]
    public async Task A_real_PostgreSQL_or_MongoDB_given_to_the_embedded_run_replaces_the_files()
    {
        const string postgres = "Host=db.example;Port=5432;Username=u;Password=p;Database=cryptoetl";
        const string mongodb = "mongodb://mongo.example:27017/cryptoetl";
        await using var app = await BuildAsync("--ConnectionStrings:postgres", postgres, "--ConnectionStrings:mongodb", mongodb);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        Assert.Equal(postgres, await ConnectionStringAsync(model, "cryptoetl-db"));
        Assert.Equal(postgres, await ConnectionStringAsync(model, "airflow-db"));
        Assert.Equal(mongodb, await ConnectionStringAsync(model, "market-db"));
    }

    private static async Task<DistributedApplication> BuildAsync(params string[] arguments)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CryptoEtl_AppHost>(arguments, Cancel);
        return await builder.BuildAsync(Cancel);
    }

    private static IResource Resource(DistributedApplicationModel model, string name) => model.Resources.Single(r => r.Name == name);

    private static DistributedApplicationModel Model(DistributedApplication app) => app.Services.GetRequiredService<DistributedApplicationModel>();

    private static DistributedApplicationExecutionContext Publishing(IServiceProvider services) =>
        new(new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Publish) { Services = services });

    private static async Task<string?> ConnectionStringAsync(DistributedApplicationModel model, string name) =>
        await ((IResourceWithConnectionString)Resource(model, name)).GetConnectionStringAsync(Cancel);

    /// <summary>An environment variable as the manifest writes it ({resource.property} expressions), without allocating anything.</summary>
    private static async Task<string> EnvironmentAsync(DistributedApplication app, string resource, string variable)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(Resource(Model(app), resource)).WithEnvironmentVariablesConfig()
            .BuildAsync(Publishing(app.Services), cancellationToken: Cancel);
        var (unprocessed, processed) = configuration.EnvironmentVariablesWithUnprocessed.Single(e => e.Key == variable).Value;
        return unprocessed is IManifestExpressionProvider expression ? expression.ValueExpression : processed;
    }

    private static async Task<string[]> ArgumentsAsync(DistributedApplication app, string resource)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(Resource(Model(app), resource)).WithArgumentsConfig()
            .BuildAsync(Publishing(app.Services), cancellationToken: Cancel);
        return [.. configuration.ArgumentsWithUnprocessed.Select(a => a.Unprocessed is IManifestExpressionProvider e ? e.ValueExpression : a.Processed)];
    }
}
