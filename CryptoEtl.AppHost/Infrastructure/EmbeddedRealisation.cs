using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>
/// The infrastructure as .NET processes (CryptoEtl.DevServices): librdkafka's broker, the registry, the scheduler and
/// the simulator; SQLite and LiteDB files in place of PostgreSQL and MongoDB; the job's local executor in place of
/// Spark. ZooKeeper and Spark are in the model as what was replaced, so the dashboard says so. Needs only the .NET SDK.
/// </summary>
public sealed class EmbeddedRealisation(IDistributedApplicationBuilder builder, PipelineRunOptions run) : PipelineRealisation(builder, run)
{
    private IResourceBuilder<IResourceWithConnectionString>? _schedulerDatabase;
    private IResourceBuilder<ReplacedResource>? _spark;

    protected override PipelineInfrastructure AddResources()
    {
        Builder.AddReplaced("zookeeper", "ZooKeeper", "nothing: the embedded broker keeps its own metadata");
        var kafka = Builder.AddEmbeddedKafka("kafka");
        var schemaRegistry = Builder.AddEmbeddedSchemaRegistry("schema-registry", kafka, Run.StateOf("schema-registry"));
        var postgres = Builder.AddSqliteStore("postgres", Run.StateOf("postgres"));
        var runsDatabase = postgres.AddSqliteDatabase("cryptoetl-db", "cryptoetl");
        _schedulerDatabase = postgres.AddSqliteDatabase("airflow-db", "airflow");
        var marketDatabase = Builder.AddLiteDbStore("mongodb", Run.StateOf("mongodb")).AddLiteDbDatabase("market-db", "cryptoetl");
        _spark = Builder.AddReplaced("spark", "Spark", "sparkjob's local executor: the same transformation, in the job's own process");
        var coingecko = Builder.AddCoinGecko("coingecko", Run.Source, canSimulate: true, Run.Coins);
        return new PipelineInfrastructure(kafka, schemaRegistry, runsDatabase, marketDatabase, coingecko);
    }

    public override IResourceBuilder<ProjectResource> WithEngine(IResourceBuilder<ProjectResource> job) =>
        job.WithLocalEngine(_spark!);

    public override IResourceBuilder<IResourceWithEndpoints> AddScheduler(string name, IResourceBuilder<ProjectResource> ingest, IResourceBuilder<ProjectResource> processor) =>
        Builder.AddEmbeddedScheduler(name, Run, _schedulerDatabase!, ingest, processor);

    public override void AddConsoles(string name, params IResourceBuilder<IResourceWithEndpoints>[] services) =>
        Builder.AddConsole(name, Infrastructure.Kafka, Infrastructure.SchemaRegistry, Infrastructure.CoinGecko.SourceName(), port: null, services);
}
