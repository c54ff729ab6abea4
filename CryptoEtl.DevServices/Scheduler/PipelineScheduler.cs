using System.Data.Common;
using CryptoEtl.Contracts.Api;
using CryptoEtl.ServiceDefaults.Failures;
using Polly;
using Polly.Retry;

namespace CryptoEtl.DevServices.Scheduler;

/// <summary>
/// The Airflow stand-in of the embedded run: fires the DAG's schedule, at most one run at a time, retries each task
/// with backoff, records every DAG run (including slots missed while stopped or skipped by a clock jump, so there is
/// never a catch-up storm), and runs one now on request. A history that cannot be written (a full disk) is waited out
/// (<see cref="WaitOut"/>): the schedule carries on once it can, and the scheduler never exits over it.
/// </summary>
public sealed partial class PipelineScheduler(
    PipelineSchedule schedule,
    SchedulerHistory history,
    IPipelineTasks tasks,
    TimeProvider clock,
    ILogger<PipelineScheduler> logger) : BackgroundService
{
    /// <summary>More missed slots than this are summarised by the last ones.</summary>
    public const int MaxRecordedSkips = 1000;

    private static readonly TimeSpan HistoryWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FinalSaveOnStop = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _active = new(1, 1);
    private readonly TaskCompletionSource _historyReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DagRun? _current;

    public PipelineSchedule Schedule => schedule;

    /// <summary>The run in progress, if any.</summary>
    public DagRun? Current => _current;

    /// <summary>Set once history is ready and the schedule is being followed.</summary>
    public bool Started { get; private set; }

    public DateTimeOffset? NextRun { get; private set; }

    /// <summary>
    /// The DAG runs, newest first. Throws an <see cref="OutageException"/> while the history cannot be read: not opened
    /// yet (its tables are made at start, and wait out a full disk or a database that does not answer), or its database
    /// fails.
    /// </summary>
    public async Task<List<DagRun>> HistoryAsync(int limit, CancellationToken cancellation)
    {
        await HistoryReadyAsync(cancellation);
        try
        {
            return await history.ListAsync(limit, cancellation);
        }
        catch (DbException e)
        {
            throw new OutageException("The DAG run history", e.Message, e);
        }
    }

    /// <summary>Starts a manual run now, unless one is active (then returns null). Throws an <see cref="OutageException"/> while the history cannot be written.</summary>
    public async Task<DagRun?> TriggerAsync(CancellationToken cancellation)
    {
        await HistoryReadyAsync(cancellation);
        if (!await _active.WaitAsync(0, cancellation))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var run = new DagRun { DagRunId = DagRun.ManualId(now), LogicalTime = now, State = DagRunState.Queued, Trigger = "manual" };
        try
        {
            await history.SaveAsync(run, cancellation);
        }
        catch (Exception e)
        {
            _active.Release();
            throw e is OperationCanceledException ? e : new OutageException("The DAG run history", e.Message, e);
        }

        _ = Task.Run(() => ExecuteHoldingGateAsync(run, CancellationToken.None), CancellationToken.None);
        return run;
    }

    /// <summary>A request at start-up waits a little for the history's tables.</summary>
    private async Task HistoryReadyAsync(CancellationToken cancellation)
    {
        try
        {
            await _historyReady.Task.WaitAsync(HistoryWait, cancellation);
        }
        catch (TimeoutException)
        {
            throw new OutageException("The DAG run history", "it is not ready yet");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DateTimeOffset? lastScheduled = null;
        await WaitOut.UntilDoneAsync(async token =>
        {
            await history.MigrateAsync(token);
            var interrupted = await history.FailInterruptedAsync(clock.GetUtcNow(), token);
            if (interrupted > 0)
            {
                Interrupted(logger, interrupted);
            }

            lastScheduled = await history.LastScheduledAsync(token);
        }, $"open the DAG run history ({history.Description})", logger, stoppingToken, clock);
        _historyReady.TrySetResult();

        // First start: follow the schedule from now on; after a restart: from the last scheduled slot.
        var last = lastScheduled ?? clock.GetUtcNow();
        Started = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = schedule.Expression.GetNextOccurrence(last.UtcDateTime, schedule.TimeZone);
            if (next is null)
            {
                return;
            }

            NextRun = new DateTimeOffset(next.Value, TimeSpan.Zero);
            var wait = NextRun.Value - clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, stoppingToken);
            }

            var due = schedule.Expression.GetOccurrences(last.UtcDateTime, clock.GetUtcNow().UtcDateTime, schedule.TimeZone, fromInclusive: false, toInclusive: true)
                .Select(t => new DateTimeOffset(t, TimeSpan.Zero)).ToList();
            if (due.Count == 0)
            {
                continue; // the clock went back: wait for the slot again
            }

            var toRun = schedule.Catchup ? due : [due[^1]];
            foreach (var missed in due.Except(toRun).TakeLast(MaxRecordedSkips))
            {
                await SaveAsync(new DagRun
                {
                    DagRunId = DagRun.ScheduledId(missed), LogicalTime = missed, State = DagRunState.Skipped, Trigger = "scheduled",
                    Error = "missed while the scheduler was not running (catchup is off)",
                }, stoppingToken);
            }

            if (due.Count - toRun.Count > 0)
            {
                Skipped(logger, due.Count - toRun.Count, toRun[^1]);
            }

            foreach (var logical in toRun)
            {
                var run = new DagRun { DagRunId = DagRun.ScheduledId(logical), LogicalTime = logical, State = DagRunState.Queued, Trigger = "scheduled" };
                await SaveAsync(run, stoppingToken);
                await _active.WaitAsync(stoppingToken); // max_active_runs = 1: a manual run in progress delays this one
                await ExecuteHoldingGateAsync(run, stoppingToken);
            }

            last = due[^1];
        }
    }

    private async Task ExecuteHoldingGateAsync(DagRun run, CancellationToken cancellation)
    {
        try
        {
            await ExecuteAsync(run, cancellation);
        }
        finally
        {
            _current = null;
            _active.Release();
        }
    }

    private async Task ExecuteAsync(DagRun queued, CancellationToken cancellation)
    {
        var run = queued with { State = DagRunState.Running, StartedAt = clock.GetUtcNow() };
        _current = run;
        await SaveAsync(run, cancellation);
        RunStarted(logger, run.DagRunId);
        try
        {
            var ingestRun = await WithRetriesAsync("trigger_ingest", () => tasks.TriggerIngestAsync(run.DagRunId, cancellation), cancellation);
            _current = _current! with { IngestRunId = ingestRun };
            await SaveAsync(_current, cancellation);
            await WithRetriesAsync("wait_for_ingest", async () =>
            {
                await tasks.WaitForIngestAsync(ingestRun, schedule.IngestTimeout, schedule.PollInterval, cancellation);
                return true;
            }, cancellation);
            await WithRetriesAsync("check_freshness", async () =>
            {
                await tasks.CheckFreshnessAsync(schedule.FreshnessSla, schedule.FreshnessStages, cancellation);
                return true;
            }, cancellation);
            run = _current! with { State = DagRunState.Success, FinishedAt = clock.GetUtcNow() };
            RunSucceeded(logger, run.DagRunId, run.Tries);
        }
        catch (PipelineTaskException e)
        {
            run = _current! with { State = DagRunState.Failed, FinishedAt = clock.GetUtcNow(), Error = e.Message };
            RunFailed(logger, run.DagRunId, e.Message);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            run = _current! with { State = DagRunState.Failed, FinishedAt = clock.GetUtcNow(), Error = "interrupted: the scheduler is shutting down" };
        }

        // Recorded even when the scheduler is stopping, within a bound: a full disk must not hold up its stop.
        using var bounded = new CancellationTokenSource(cancellation.IsCancellationRequested ? FinalSaveOnStop : Timeout.InfiniteTimeSpan, clock);
        await SaveAsync(run, bounded.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Records a DAG run, waiting out a history that cannot be written (a full disk) for as long as <paramref name="cancellation"/> allows.</summary>
    private Task SaveAsync(DagRun run, CancellationToken cancellation) =>
        WaitOut.UntilDoneAsync(token => history.SaveAsync(run, token), $"record DAG run {run.DagRunId} ({run.State})", logger, cancellation, clock);

    /// <summary>Runs a task up to retries + 1 times with the schedule's backoff; the last failure names the task.</summary>
    private async Task<T> WithRetriesAsync<T>(string task, Func<Task<T>> attempt, CancellationToken cancellation)
    {
        var tries = 0;
        try
        {
            return await TaskRetries(task).ExecuteAsync(async _ =>
            {
                tries++;
                _current = _current! with { Tries = _current.Tries + 1 };
                return await attempt();
            }, cancellation);
        }
        catch (PipelineTaskException e)
        {
            throw new PipelineTaskException($"{task} failed after {tries} tries: {e.Message}", e);
        }
    }

    /// <summary>Airflow's task retries: the schedule's count and delays (<see cref="PipelineSchedule.DelayBeforeTry"/>), retryable failures only.</summary>
    private ResiliencePipeline TaskRetries(string task) => schedule.Retries == 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder { TimeProvider = clock }
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = schedule.Retries,
            ShouldHandle = new PredicateBuilder().Handle<PipelineTaskException>(e => e.Retryable),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(schedule.DelayBeforeTry(args.AttemptNumber + 2)),
            OnRetry = async args =>
            {
                var tryNumber = args.AttemptNumber + 1;
                var error = args.Outcome.Exception!.Message;
                TaskRetry(logger, task, tryNumber, args.RetryDelay, error);
                await SaveAsync(_current! with { Error = $"{task} try {tryNumber}: {error}" }, args.Context.CancellationToken);
            },
        })
        .Build();

    [LoggerMessage(1, LogLevel.Information, "DAG run {DagRunId} started")]
    private static partial void RunStarted(ILogger logger, string dagRunId);

    [LoggerMessage(2, LogLevel.Information, "DAG run {DagRunId} succeeded after {Tries} task tries")]
    private static partial void RunSucceeded(ILogger logger, string dagRunId, int tries);

    [LoggerMessage(3, LogLevel.Error, "DAG run {DagRunId} failed: {Error}")]
    private static partial void RunFailed(ILogger logger, string dagRunId, string error);

    [LoggerMessage(4, LogLevel.Warning, "Task {Task} try {Try} failed; retrying in {Delay}: {Error}")]
    private static partial void TaskRetry(ILogger logger, string task, int @try, TimeSpan delay, string error);

    [LoggerMessage(5, LogLevel.Warning, "Recorded {Count} missed slot(s) as skipped; running only the latest, {Logical}")]
    private static partial void Skipped(ILogger logger, int count, DateTimeOffset logical);

    [LoggerMessage(6, LogLevel.Warning, "Marked {Count} DAG run(s) left running by an earlier scheduler as failed")]
    private static partial void Interrupted(ILogger logger, int count);
}
