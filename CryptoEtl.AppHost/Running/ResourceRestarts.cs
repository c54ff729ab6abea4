using System.Collections.Concurrent;
using System.Globalization;

namespace CryptoEtl.AppHost.Running;

/// <summary>
/// Restarts a process of the model (a project or an executable) that exits on its own, after 1, 2, 4 … 30 s; the
/// backoff starts afresh once a process has run for a minute. Each restart is counted in the resource's
/// <c>restarts</c> property, which the dashboard, the status line and the summary show. A process stopped on purpose
/// (the dashboard's Stop, or the AppHost stopping) is left stopped.
/// </summary>
public sealed partial class ResourceRestarts(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ResourceRestarts> logger) : BackgroundService
{
    public const string RestartsProperty = "restarts";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Supervised> _resources = new();

    public int RestartsOf(string resourceId) => _resources.TryGetValue(resourceId, out var supervised) ? supervised.Restarts : 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            if (update.Resource is not (ProjectResource or ExecutableResource) || update.Snapshot.IsHidden || update.Snapshot.State?.Text is not { } state)
            {
                continue;
            }

            var supervised = _resources.GetOrAdd(update.ResourceId, _ => new Supervised());
            var previous = supervised.State;
            supervised.State = state;
            if (state == KnownResourceStates.Running && previous != KnownResourceStates.Running)
            {
                supervised.RunningSince = clock.GetUtcNow();
            }

            // Running -> Finished or Exited, with no Stopping in between: the process ended by itself.
            var crashed = KnownResourceStates.TerminalStates.Contains(state) && previous == KnownResourceStates.Running;
            if (crashed && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                _ = RestartAsync(update, supervised, stoppingToken);
            }
        }
    }

    private async Task RestartAsync(ResourceEvent crash, Supervised supervised, CancellationToken stoppingToken)
    {
        var ranFor = clock.GetUtcNow() - supervised.RunningSince;
        supervised.Failures = ranFor > StableAfter ? 1 : supervised.Failures + 1;
        var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, supervised.Failures - 1)));
        var restarts = Interlocked.Increment(ref supervised.Restarts);
        Exited(logger, crash.Resource.Name, crash.Snapshot.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown", restarts, backoff.TotalSeconds);
        try
        {
            await Task.Delay(backoff, clock, stoppingToken);
            if (lifetime.ApplicationStopping.IsCancellationRequested || supervised.State != crash.Snapshot.State?.Text)
            {
                return; // the AppHost is stopping, or someone started it already
            }

            await notifications.PublishUpdateAsync(crash.Resource, crash.ResourceId, s => s with
            {
                Properties = [.. s.Properties.Where(p => p.Name != RestartsProperty), new ResourcePropertySnapshot(RestartsProperty, restarts)],
            });
            var result = await commands.ExecuteCommandAsync(crash.ResourceId, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success)
            {
                RestartFailed(logger, crash.Resource.Name, result.Message ?? "no reason given");
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "{Resource} exited by itself (exit code {ExitCode}); restart {Restarts} in {Backoff} s")]
    private static partial void Exited(ILogger logger, string resource, string exitCode, int restarts, double backoff);

    [LoggerMessage(2, LogLevel.Error, "{Resource} could not be restarted: {Reason}")]
    private static partial void RestartFailed(ILogger logger, string resource, string reason);

    private sealed class Supervised
    {
        public int Restarts;

        public string? State { get; set; }

        public DateTimeOffset RunningSince { get; set; }

        public int Failures { get; set; }
    }
}
