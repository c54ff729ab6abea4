using Confluent.SchemaRegistry;
using CryptoEtl.Kafka;
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
    ILogger<LocalExecutorService> logger) : ConsumerStageService("local executor", lifetime, logger)
{
    public const string ServiceName = "sparkjob";

    /// <summary>Where the checkpoints live unless LocalExecutor:CheckpointDir says otherwise.</summary>
    public static string DefaultCheckpointDirectory(string stateDirectory) => Path.Combine(stateDirectory, "checkpoints");

    private LocalExecutor? _executor;

    protected override void Run(CancellationToken cancellation)
    {
        var settings = options.Value;
        var checkpoints = settings.CheckpointDir is { Length: > 0 } dir ? Path.GetFullPath(dir) : DefaultCheckpointDirectory(StateDirectory.Resolve(configuration, ServiceName));
        using var executor = new LocalExecutor(
            KafkaConnection.Consumer(configuration, ServiceName, settings.ConsumerGroup),
            KafkaConnection.Producer(configuration, ServiceName),
            registry, transform.Value, settings, checkpoints, telemetry, clock, logger);
        _executor = executor;
        try
        {
            executor.Run(cancellation);
        }
        finally
        {
            _executor = null;
        }
    }

    /// <summary>Unhealthy while the executor is not running or its batches fail.</summary>
    protected override HealthCheckResult CheckHealth() => _executor?.Health.Check() ?? HealthCheckResult.Unhealthy("the executor is not running");
}
