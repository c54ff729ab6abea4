using CryptoEtl.Processor.Telemetry;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Storage;

/// <summary>
/// Deletes ticks older than Store:TickRetention every few minutes. MongoDB does this itself with its TTL index; this
/// service covers stores without TTL indexes (LiteDB) and is harmless on MongoDB. The store is taken once the service
/// runs, after the settings are checked, so that a bad setting is reported with the others instead of on its own.
/// </summary>
public sealed class RetentionService(IServiceProvider services, IOptions<StoreOptions> options, TimeProvider clock, ILogger<RetentionService> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.TickRetention is not { } retention)
        {
            return;
        }

        var store = services.GetRequiredService<IMarketStore>();
        using var timer = new PeriodicTimer(Period, clock);
        do
        {
            var cutoff = clock.GetUtcNow() - retention;
            try
            {
                var deleted = await store.DeleteTicksBeforeAsync(cutoff, stoppingToken);
                if (deleted > 0)
                {
                    logger.RetentionDeleted(deleted, cutoff);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.RetentionFailed(Period, e.Describe());
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
