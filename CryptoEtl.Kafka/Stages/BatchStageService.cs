using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// Hosts the service's batch stage on its own thread for the lifetime of the service, and reports its health. A stage
/// that crashes stops the process with exit code 1, so the orchestrator restarts it from its committed offsets; it is
/// never left running without its stage.
/// </summary>
public sealed partial class BatchStageService(KafkaBatchStage stage, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<BatchStageService> logger)
    : BackgroundService, IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(stage.Status.Health.Check());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await stage.Sink.PrepareAsync(stoppingToken);
            await Task.Factory.StartNew(() => stage.Run(services.GetRequiredService<IConsumer<byte[]?, byte[]?>>(), stoppingToken),
                stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            StageStopped(logger, stage.Name, e.Describe());
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(1, LogLevel.Critical, "The {Stage} stopped: {Error}")]
    private static partial void StageStopped(ILogger logger, string stage, string error);
}
