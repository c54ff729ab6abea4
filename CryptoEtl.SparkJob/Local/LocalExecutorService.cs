using Confluent.SchemaRegistry;
using CryptoEtl.ServiceDefaults.Kafka;
using CryptoEtl.ServiceDefaults.State;
using CryptoEtl.SparkJob.Telemetry;
using CryptoEtl.SparkJob.Transform;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CryptoEtl.SparkJob.Local;

/// <summary>Hosts the local executor on its own thread for the lifetime of the service; a crash stops the process.</summary>
public sealed class LocalExecutorService(
    IConfiguration configuration,
    ISchemaRegistryClient registry,
    IOptions<TransformOptions> transform,
    IOptions<LocalExecutorOptions> options,
    SparkJobTelemetry telemetry,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<LocalExecutorService> logger) : BackgroundService, IHealthCheck
{
    public const string ServiceName = "sparkjob";

    /// <summary>Where the checkpoints live unless LocalExecutor:CheckpointDir says otherwise.</summary>
    public static string DefaultCheckpointDirectory(string stateDirectory) => Path.Combine(stateDirectory, "checkpoints");

    private LocalExecutor? _executor;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Factory.StartNew(() =>
    {
        try
        {
            var settings = options.Value;
            var checkpoints = settings.CheckpointDir is { Length: > 0 } dir ? Path.GetFullPath(dir) : DefaultCheckpointDirectory(StateDirectory.Resolve(configuration, ServiceName));
            using var executor = new LocalExecutor(
                KafkaConnection.Consumer(configuration, ServiceName, settings.ConsumerGroup),
                KafkaConnection.Producer(configuration, ServiceName),
                registry, transform.Value, settings, checkpoints, telemetry, clock, logger);
            _executor = executor;
            executor.Run(stoppingToken);
        }
        catch (Exception e)
        {
            logger.ExecutorStopped(e.Describe());
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
        finally
        {
            _executor = null;
        }
    }, stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Unhealthy while the executor is not running or its batches fail.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_executor?.Health.Check() ?? HealthCheckResult.Unhealthy("the executor is not running"));
}
