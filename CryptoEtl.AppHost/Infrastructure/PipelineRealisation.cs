using CryptoEtl.AppHost.Running;

namespace CryptoEtl.AppHost.Infrastructure;

/// <summary>What the services are wired to, whichever realisation made it.</summary>
/// <param name="RunsDatabase">Ingest's run ledger.</param>
/// <param name="SchedulerDatabase">The scheduler's DAG runs (Airflow's metadata).</param>
/// <param name="MarketDatabase">The Processor's store of ticks, candles and alerts.</param>
public sealed record PipelineInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> Kafka,
    IResourceBuilder<IResourceWithConnectionString> SchemaRegistry,
    IResourceBuilder<IResourceWithConnectionString> RunsDatabase,
    IResourceBuilder<IResourceWithConnectionString> MarketDatabase,
    IResourceBuilder<IResourceWithConnectionString> CoinGecko);

/// <summary>
/// How the app model's infrastructure is realised, chosen once from <c>--mode</c> (<see cref="For"/>): as .NET
/// processes on this machine (<see cref="EmbeddedRealisation"/>) or as containers (<see cref="ContainersRealisation"/>,
/// also what publishing describes). Each adds its own typed resources; the services' wiring in Program.cs is the same.
/// Call <see cref="AddInfrastructure"/> first.
/// </summary>
public abstract class PipelineRealisation(IDistributedApplicationBuilder builder, PipelineRunOptions run)
{
    private PipelineInfrastructure? _infrastructure;

    protected IDistributedApplicationBuilder Builder => builder;

    protected PipelineRunOptions Run => run;

    protected PipelineInfrastructure Infrastructure => _infrastructure ?? throw new InvalidOperationException("Add the infrastructure first.");

    public static PipelineRealisation For(IDistributedApplicationBuilder builder, PipelineRunOptions run) =>
        run.Embedded ? new EmbeddedRealisation(builder, run) : new ContainersRealisation(builder, run);

    /// <summary>Kafka, the Schema Registry, the stores, the engine and the market data source, in the model's order.</summary>
    public PipelineInfrastructure AddInfrastructure() => _infrastructure = AddResources();

    protected abstract PipelineInfrastructure AddResources();

    /// <summary>Where the streaming job runs its transformation.</summary>
    public abstract IResourceBuilder<ProjectResource> WithEngine(IResourceBuilder<ProjectResource> job);

    /// <summary>What triggers Ingest's runs and checks the Processor's freshness on the DAG's schedule.</summary>
    public abstract IResourceBuilder<IResourceWithEndpoints> AddScheduler(string name, IResourceBuilder<ProjectResource> ingest, IResourceBuilder<ProjectResource> processor);

    /// <summary>The consoles: CryptoEtl's own, and what watches Kafka besides.</summary>
    public abstract void AddConsoles(string name, params IResourceBuilder<IResourceWithEndpoints>[] services);
}
