using Confluent.SchemaRegistry;
using CryptoEtl.ServiceDefaults.Kafka;
using CryptoEtl.SparkJob.SparkConnect.Plans;
using CryptoEtl.SparkJob.SparkConnect.Streaming;
using CryptoEtl.SparkJob.Transform;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CryptoEtl.SparkJob.SparkConnect.Jobs;

/// <summary>
/// run --engine spark: submits the queries (retrying while Spark or the registry cannot be reached; queries already active
/// are left alone), then reports their status every Spark:StatusInterval until stopped. The reports also keep the Spark
/// Connect session alive: Spark stops a session's queries when the session expires. On exit the queries keep running on
/// Spark unless Spark:StopOnExit (--stop-on-exit) is set.
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var spark = options.Value;
        using var session = SparkConnectSession.Connect(SparkRemote.Parse(spark.ResolvedRemote()), logger);
        var job = new SparkTransformJob(session, transform.Value, spark);
        try
        {
            await SubmitAsync(job, spark, stoppingToken);
            using var timer = new PeriodicTimer(spark.StatusInterval);
            do
            {
                await ReportAsync(job, stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            if (spark.StopOnExit)
            {
                await StopQueriesAsync(job);
            }
        }
        catch (Exception e)
        {
            logger.Crashed(e.Message, e);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.FromResult(Health);

    private async Task SubmitAsync(SparkTransformJob job, SparkOptions spark, CancellationToken cancellation)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                var kafka = spark.KafkaBootstrapServers is { Length: > 0 } servers ? servers : KafkaConnection.BootstrapServers(configuration);
                var schemas = await SparkSchemas.RegisterAsync(registry).WaitAsync(cancellation);
                var version = await job.Session.SparkVersionAsync(cancellation);
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

                return;
            }
            catch (Exception e) when (e is SparkConnectException { FromSpark: false } or HttpRequestException or TimeoutException)
            {
                // Spark or the registry is not up yet (containers start in any order): try again.
                Health = HealthCheckResult.Unhealthy($"cannot submit yet: {e.Message}");
                logger.SubmitRetry(delay, e.Message);
                await Task.Delay(delay, cancellation);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task ReportAsync(SparkTransformJob job, CancellationToken cancellation)
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
                        ? await job.FailureAsync(id, cancellation) ?? "it stopped without an error (stopped by someone, or its Spark session expired)"
                        : "it was not started (see the submit errors above)";
                    logger.QueryNotRunning(report.Name, reason);
                }
            }

            var down = reports.Where(r => !r.Active).Select(r => r.Name).ToList();
            Health = down.Count == 0
                ? HealthCheckResult.Healthy($"{reports.Count} queries running")
                : HealthCheckResult.Degraded($"not running: {string.Join(", ", down)}");
        }
        catch (SparkConnectException e)
        {
            Health = HealthCheckResult.Unhealthy($"Spark Connect: {e.Message}");
            logger.StatusFailed(e.Message);
        }
    }

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
