using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// Hosts the service's batch stage on its own thread for the lifetime of the service, and reports its health. A stage
/// that crashes stops the process (the host stops when a hosted service fails, and <see cref="ServiceRunner"/> says why
/// and exits with 1), so the orchestrator restarts it from its committed offsets; it is never left running without its
/// stage. The stage (its sink, its store) is built once the service runs, after the settings are checked, so that a bad
/// setting is reported with the others instead of on its own.
/// </summary>
public sealed partial class BatchStageService(string name, BatchStageStatus status, IServiceProvider services,
    ILogger<BatchStageService> logger) : BackgroundService, IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.Health.Check());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var stage = services.GetRequiredService<KafkaBatchStage>();
            await stage.Sink.PrepareAsync(stoppingToken);
            await Task.Factory.StartNew(() => stage.Run(services.GetRequiredService<IConsumer<byte[]?, byte[]?>>(), stoppingToken),
                stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            StageStopped(logger, name, e.Describe());
            throw new InvalidOperationException($"The {name} stopped: {e.Message}", e);
        }
    }

    [LoggerMessage(1, LogLevel.Critical, "The {Stage} stopped: {Error}")]
    private static partial void StageStopped(ILogger logger, string stage, string error);
}
