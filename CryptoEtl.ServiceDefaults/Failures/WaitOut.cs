using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace CryptoEtl.ServiceDefaults.Failures;

/// <summary>
/// Waiting out an outage of a small store (a run history, a ledger) that must not be given up on: a write is tried
/// again, about every 1, 2, 4 … 30 s, for as long as it fails, until it succeeds or the service stops. A service whose
/// disk is full keeps running and catches up once there is room, instead of exiting.
/// </summary>
public static partial class WaitOut
{
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    public static Task UntilDoneAsync(Func<CancellationToken, Task> write, string what, ILogger logger, CancellationToken cancellation, TimeProvider? clock = null) =>
        new ResiliencePipelineBuilder { TimeProvider = clock ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = MaxDelay,
                OnRetry = args =>
                {
                    Failed(logger, what, args.AttemptNumber + 1, args.RetryDelay.TotalSeconds, args.Outcome.Exception!.Describe());
                    return ValueTask.CompletedTask;
                },
            })
            .Build()
            .ExecuteAsync(async token => await write(token), cancellation)
            .AsTask();

    [LoggerMessage(1, LogLevel.Warning, "Could not {What} (try {Try}); trying again in {Delay:0.0} s: {Error}")]
    private static partial void Failed(ILogger logger, string what, int @try, double delay, string error);
}
