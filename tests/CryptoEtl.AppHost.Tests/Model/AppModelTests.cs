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
            ["schema-registry"] = "confluentinc/cp-schema-registry:7.6.1",
            ["postgres"] = "library/postgres:16.4",
            ["mongodb"] = "mongo:7.0.14",
            ["spark"] = "apache/spark:3.5.3",
            ["airflow"] = "apache/airflow:2.9.3",
            ["control-center"] = "confluentinc/cp-enterprise-control-center:7.6.1",
        }, model.Resources.Where(r => r.TryGetLastAnnotation<ContainerImageAnnotation>(out _))
            .ToDictionary(r => r.Name, r => r.Annotations.OfType<ContainerImageAnnotation>().Last() is var image ? $"{image.Image}:{image.Tag}" : ""));

        var kafka = Assert.IsType<KafkaServerResource>(Resource(model, "kafka"));
        Assert.Equal([("tcp", 9092, (int?)9092), ("internal", 29092, null)], kafka.Annotations.OfType<EndpointAnnotation>().Select(e => (e.Name, e.TargetPort!.Value, e.Port)));
        // Containers reach Kafka on its in-network listener; processes on the host on the published one.
        Assert.Equal("PLAINTEXT://{kafka.bindings.internal.host}:{kafka.bindings.internal.port}", await EnvironmentAsync(app, "schema-registry", "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"));
        Assert.Equal("{kafka.bindings.internal.host}:{kafka.bindings.internal.port}", await EnvironmentAsync(app, "control-center", "CONTROL_CENTER_BOOTSTRAP_SERVERS"));
        Assert.Equal("{kafka.bindings.internal.host}:{kafka.bindings.internal.port}", await EnvironmentAsync(app, "sparkjob", "Spark__KafkaBootstrapServers"));
        Assert.Equal("{kafka.bindings.tcp.host}:{kafka.bindings.tcp.port}", kafka.ConnectionStringExpression.ValueExpression);
        Assert.Equal("{cryptoetl-db.connectionString}", await EnvironmentAsync(app, "ingest", "ConnectionStrings__postgres"));
        Assert.Equal("{market-db.connectionString}", await EnvironmentAsync(app, "processor", "ConnectionStrings__mongodb"));
        Assert.Equal("{spark.connectionString}", await EnvironmentAsync(app, "sparkjob", "ConnectionStrings__spark"));
        Assert.Contains("{postgres-password.value}", await EnvironmentAsync(app, "airflow", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"), StringComparison.Ordinal);
        Assert.Equal(["run", "--engine", "spark"], await ArgumentsAsync(app, "sparkjob"));
        Assert.Contains(Resource(model, "airflow").Annotations.OfType<ContainerMountAnnotation>(),
            m => m.Target == "/opt/airflow/dags" && m.Source!.EndsWith(Path.Combine("docker", "airflow", "dags"), StringComparison.Ordinal) && m.IsReadOnly);
        Assert.IsType<CoinGeckoApiResource>(Resource(model, "coingecko"));
        Assert.DoesNotContain(model.Resources, r => r is DevServicesResource or ReplacedResource or EmbeddedStoreResource);
    }

    [Fact]
    public async Task The_embedded_realisation_runs_stand_ins_as_processes_and_shows_what_replaces_the_rest()
    {
        var state = Directory.CreateTempSubdirectory("cryptoetl-model").FullName;
        await using var app = await BuildAsync("--state-dir", state, "--source", "simulator");
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
