using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka;

/// <summary>
/// Hosts a consumer stage (a blocking consume loop) on its own thread for the lifetime of the service, and reports its
/// health. A stage that crashes stops the process with exit code 1, so the orchestrator restarts it from its committed
/// offsets; it is never left running without its stage.
/// </summary>
public abstract partial class ConsumerStageService(string stage, IHostApplicationLifetime lifetime, ILogger logger) : BackgroundService, IHealthCheck
{
    /// <summary>Work to finish before the stage starts consuming (creating a store's collections, say).</summary>
    protected virtual Task PrepareAsync(CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>Consumes until cancelled; runs on a thread of its own.</summary>
    protected abstract void Run(CancellationToken cancellation);

    /// <summary>The stage's health right now: running, and its batches going through.</summary>
    protected abstract HealthCheckResult CheckHealth();

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(CheckHealth());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await PrepareAsync(stoppingToken);
            await Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            StageStopped(logger, stage, e.Describe());
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(1, LogLevel.Critical, "The {Stage} stopped: {Error}")]
    private static partial void StageStopped(ILogger logger, string stage, string error);
}
