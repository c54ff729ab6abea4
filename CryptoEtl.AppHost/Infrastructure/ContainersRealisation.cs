using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// The infrastructure as the pinned images: Confluent's ZooKeeper, Kafka (kafka-init creates the topics), Schema
/// Registry and Control Center, PostgreSQL, MongoDB as a replica set, Spark with Spark Connect, Airflow; sized by
/// <see cref="ContainerScale"/>. What publishing describes, and what <c>--mode containers</c> runs (it needs a Docker engine).
/// </summary>
public sealed class ContainersRealisation(IDistributedApplicationBuilder builder, PipelineRunOptions run) : PipelineRealisation(builder, run)
{
    private IResourceBuilder<PostgresDatabaseResource>? _schedulerDatabase;
    private IResourceBuilder<SparkConnectResource>? _spark;

    protected override PipelineInfrastructure AddResources()
    {
        Builder.RequireContainerRuntime();
        var zookeeper = Builder.AddZookeeper("zookeeper");
        var kafka = Builder.AddConfluentKafka("kafka", zookeeper, Run.Scale);
        var schemaRegistry = Builder.AddConfluentSchemaRegistry("schema-registry", kafka, Run.Scale);
        var postgres = Builder.AddPostgresServer("postgres");
        var runsDatabase = postgres.AddDatabase("cryptoetl-db", "cryptoetl");
        _schedulerDatabase = postgres.AddDatabase("airflow-db", "airflow");
        var marketDatabase = Builder.AddMongoDBServer("mongodb", Run.Scale).AddMongoDatabase("market-db", "cryptoetl");
        _spark = Builder.AddSpark("spark", Run.Scale);
        var coingecko = Builder.AddCoinGecko("coingecko", Run.Source, canSimulate: false);
        return new PipelineInfrastructure(kafka, schemaRegistry, runsDatabase, marketDatabase, coingecko);
    }

    public override IResourceBuilder<ProjectResource> WithEngine(IResourceBuilder<ProjectResource> job) =>
        job.WithSparkEngine(_spark!, Infrastructure.Kafka);

    public override IResourceBuilder<IResourceWithEndpoints> AddScheduler(string name, IResourceBuilder<ProjectResource> ingest, IResourceBuilder<ProjectResource> processor) =>
        Builder.AddAirflow(name, _schedulerDatabase!, ingest, processor);

    /// <summary>CryptoEtl's console as <see cref="ControlCenterResourceExtensions.ConsoleName"/> on port 8090, and Confluent Control Center as <paramref name="name"/>.</summary>
    public override void AddConsoles(string name, params IResourceBuilder<IResourceWithEndpoints>[] services)
    {
        Builder.AddConsole(ControlCenterResourceExtensions.ConsoleName, Infrastructure.Kafka, Infrastructure.SchemaRegistry, Infrastructure.CoinGecko.SourceName(), port: 8090, services);
        Builder.AddConfluentControlCenter(name, Infrastructure.Kafka, Infrastructure.SchemaRegistry, Run.Scale);
    }
}
