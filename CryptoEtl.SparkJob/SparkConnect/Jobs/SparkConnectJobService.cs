using Confluent.SchemaRegistry;
using CryptoEtl.Kafka;
using CryptoEtl.SparkJob.SparkConnect.Plans;
using CryptoEtl.SparkJob.SparkConnect.Streaming;
using CryptoEtl.SparkJob.Transform;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace CryptoEtl.SparkJob.SparkConnect.Jobs;

/// <summary>
/// run --engine spark: submits the queries (retrying while Spark or the registry cannot be reached; queries already active
/// are left alone), then reports their status every Spark:StatusInterval until stopped. The reports also keep the Spark
/// Connect session alive: Spark stops a session's queries when the session expires. A query found not running (it failed,
/// someone stopped it, Spark restarted) is submitted again, at growing intervals while it keeps stopping. On exit the
/// queries keep running on Spark unless Spark:StopOnExit (--stop-on-exit) is set.
/// </summary>
public sealed class SparkConnectJobService(
    IConfiguration configuration,
    ISchemaRegistryClient registry,
    IOptions<TransformOptions> transform,
    IOptions<SparkOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<SparkConnectJobService> logger) : BackgroundService, IHealthCheck
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, QueryId> _started = new(StringComparer.Ordinal);
    private readonly Lock _healthLock = new();
    private HealthCheckResult _currentHealth = HealthCheckResult.Unhealthy("the queries are not submitted yet");

    private HealthCheckResult Health
    {
        get
        {
            lock (_healthLock)
            {
                return _currentHealth;
            }
        }
        set
        {
            lock (_healthLock)
            {
                _currentHealth = value;
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.FromResult(Health);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var spark = options.Value;
        var remote = SparkRemote.Parse(spark.ResolvedRemote());
        try
        {
            while (true)
            {
                var (opened, version) = await RetryAsync(() => JobSession.OpenAsync(remote, logger, stoppingToken), stoppingToken);
                using var session = opened;
                var job = new SparkTransformJob(session, transform.Value, spark);
                try
                {
                    await RetryAsync(() => SubmitAsync(job, spark, version, stoppingToken), stoppingToken);
                    await MonitorAsync(job, spark, stoppingToken);
                }
                catch (SparkConnectException e) when (JobSession.IsSessionClosed(e))
                {
                    logger.SessionLost(session.SessionId);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    if (spark.StopOnExit)
                    {
                        await StopQueriesAsync(job);
                    }

                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.Crashed(e.Describe());
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private async Task<IReadOnlyList<SubmitOutcome>> SubmitAsync(SparkTransformJob job, SparkOptions spark, string version, CancellationToken cancellation)
    {
        var kafka = spark.KafkaBootstrapServers is { Length: > 0 } servers ? servers : KafkaConnection.BootstrapServers(configuration);
        var schemas = await SparkSchemas.RegisterAsync(registry).WaitAsync(cancellation);
        logger.Connected(version, job.Session.Remote.ToString(), job.Session.SessionId, string.Join(", ", job.QueryNames));
        var outcomes = await job.SubmitAsync(new TransformPlans(transform.Value, spark, kafka, schemas).Queries(), cancellation);
        foreach (var outcome in outcomes)
        {
            switch (outcome.Result)
            {
                case SubmitResult.Started:
                    _started[outcome.Name] = outcome.Id!;
                    logger.QueryStarted(outcome.Name, outcome.Id!.Id, outcome.Id.RunId);
                    break;
                case SubmitResult.AlreadyActive:
                    _started[outcome.Name] = outcome.Id!;
                    logger.QueryAlreadyActive(outcome.Name, outcome.Id!.Id, outcome.Id.RunId);
                    break;
                default:
                    logger.QueryRefused(outcome.Name, outcome.Error ?? "?");
                    break;
            }
        }

        return outcomes;
    }

    /// <summary>Reports every interval and resubmits when a query is not running; returns only by throwing (cancelled, session closed).</summary>
    private async Task MonitorAsync(SparkTransformJob job, SparkOptions spark, CancellationToken cancellation)
    {
        var restartDelay = spark.StatusInterval;
        var nextRestart = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(spark.StatusInterval);
        do
        {
            if (await ReportAsync(job, cancellation) is not { } down)
            {
                continue;
            }

            if (down.Count == 0)
            {
                restartDelay = spark.StatusInterval;
            }
            else if (DateTimeOffset.UtcNow >= nextRestart)
            {
                logger.Restarting(string.Join(", ", down), restartDelay);
                nextRestart = DateTimeOffset.UtcNow + restartDelay;
                restartDelay = TimeSpan.FromTicks(Math.Min(restartDelay.Ticks * 2, MaxRestartDelay.Ticks));
                try
                {
                    await SubmitAsync(job, spark, await job.Session.SparkVersionAsync(cancellation), cancellation);
                }
                catch (Exception e) when (IsTransient(e))
                {
                    logger.StatusFailed(e.Message);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(cancellation));
    }

    /// <summary>Logs each query's state; returns the ones not running, or null when Spark did not answer.</summary>
    private async Task<IReadOnlyList<string>?> ReportAsync(SparkTransformJob job, CancellationToken cancellation)
    {
        try
        {
            var reports = await job.StatusAsync(cancellation);
            foreach (var report in reports)
            {
                if (report.Active)
                {
                    logger.QueryStatus(report.Name, report.Status!.Message, report.Progress?.ToString() ?? "no progress yet");
                }
                else
                {
                    var reason = _started.TryGetValue(report.Name, out var id)
                        ? await FailureAsync(job, id, cancellation) ?? "it stopped without an error (stopped by someone, or Spark or its session restarted)"
                        : "it was not started (see the submit errors above)";
                    logger.QueryNotRunning(report.Name, reason);
                }
            }

            var down = reports.Where(r => !r.Active).Select(r => r.Name).ToList();
            Health = down.Count == 0
                ? HealthCheckResult.Healthy($"{reports.Count} queries running")
                : HealthCheckResult.Degraded($"not running: {string.Join(", ", down)}");
            return down;
        }
        catch (SparkConnectException e) when (!JobSession.IsSessionClosed(e))
        {
            Health = HealthCheckResult.Unhealthy($"Spark Connect: {e.Message}");
            logger.StatusFailed(e.Message);
            return null;
        }
    }

    /// <summary>Why a query this process started stopped; Spark forgets a stopped query after a while, and another session never knew it.</summary>
    private static async Task<string?> FailureAsync(SparkTransformJob job, QueryId id, CancellationToken cancellation)
    {
        try
        {
            return await job.FailureAsync(id, cancellation);
        }
        catch (SparkConnectException e) when (e.FromSpark && !JobSession.IsSessionClosed(e))
        {
            return null;
        }
    }

    /// <summary>Runs <paramref name="attempt"/> until it succeeds, waiting longer after each failure Spark or the registry may recover from.</summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> attempt, CancellationToken cancellation) =>
        await UntilReachable().ExecuteAsync(async _ => await attempt(), cancellation);

    /// <summary>Spark or the registry is not up yet (containers start in any order): try again, 1 s doubling up to a minute.</summary>
    private ResiliencePipeline UntilReachable() => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = MaxRetryDelay,
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            OnRetry = args =>
            {
                Health = HealthCheckResult.Unhealthy($"cannot submit yet: {args.Outcome.Exception!.Message}");
                logger.SubmitRetry(args.RetryDelay, args.Outcome.Exception.Message);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    private static bool IsTransient(Exception e) => e is SparkConnectException { FromSpark: false } or HttpRequestException or TimeoutException;

    private async Task StopQueriesAsync(SparkTransformJob job)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            foreach (var query in await job.StopAsync(limit.Token))
            {
                logger.QueryStopped(query.Name ?? query.Id.Id);
            }
        }
        catch (Exception e) when (e is SparkConnectException or OperationCanceledException)
        {
            logger.StatusFailed(e.Message);
        }
    }
}
