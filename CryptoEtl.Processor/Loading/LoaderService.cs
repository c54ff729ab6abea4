using Confluent.SchemaRegistry;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Telemetry;
using CryptoEtl.ServiceDefaults.Kafka;
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
    ILogger<LoaderService> logger) : BackgroundService, IHealthCheck
{
    public const string ServiceName = "processor";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await store.InitializeAsync(stoppingToken);
            await Task.Factory.StartNew(() =>
            {
                using var loader = new Loader(
                    KafkaConnection.Consumer(configuration, ServiceName, options.Value.ConsumerGroup),
                    KafkaConnection.Producer(configuration, ServiceName),
                    registry, store, options.Value, status, telemetry, clock, logger);
                loader.Run(stoppingToken);
            }, stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LoaderStopped(e.Describe());
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    /// <summary>Unhealthy while the loader is not running or the store refuses writes.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.Health.Check());
}
