using Confluent.SchemaRegistry;
using CryptoEtl.Kafka;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Loading;

/// <summary>Hosts the loader on its own thread; initializes the store first; a crash stops the process.</summary>
public sealed class LoaderService(
    IConfiguration configuration,
    ISchemaRegistryClient registry,
    IMarketStore store,
    IOptions<LoaderOptions> options,
    LoaderStatus status,
    ProcessorTelemetry telemetry,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<LoaderService> logger) : ConsumerStageService("loader", lifetime, logger)
{
    public const string ServiceName = "processor";

    protected override Task PrepareAsync(CancellationToken cancellation) => store.InitializeAsync(cancellation);

    protected override void Run(CancellationToken cancellation)
    {
        using var loader = new Loader(
            KafkaConnection.Consumer(configuration, ServiceName, options.Value.ConsumerGroup),
            KafkaConnection.Producer(configuration, ServiceName),
            registry, store, options.Value, status, telemetry, clock, logger);
        loader.Run(cancellation);
    }

    /// <summary>Unhealthy while the loader is not running or the store refuses writes.</summary>
    protected override HealthCheckResult CheckHealth() => status.Health.Check();
}
