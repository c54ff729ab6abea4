using System.Collections.Concurrent;
using CryptoEtl.Contracts.Api;
using CryptoEtl.DevServices.Scheduler;
using CryptoEtl.Relational;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CryptoEtl.DevServices.Tests.Scheduler;

/// <summary>The embedded scheduler driven by a test clock, with tasks that record calls and fail on demand.</summary>
public sealed class PipelineSchedulerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 10, 2, 0, TimeSpan.Zero);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private sealed class RecordingTasks : IPipelineTasks
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public int FailTriggers;

        public int FailFreshness;

        public bool IngestRunFails;

        public TaskCompletionSource? Gate;

        public int Active;

        public int MaxActive;

        public async Task<string> TriggerIngestAsync(string idempotencyKey, CancellationToken cancellation)
        {
            Calls.Enqueue($"trigger {idempotencyKey}");
            if (Interlocked.Decrement(ref FailTriggers) >= 0)
            {
                throw new PipelineTaskException("Ingest answered 503");
            }

            var active = Interlocked.Increment(ref Active);
            MaxActive = Math.Max(MaxActive, active);
            if (Gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellation);
            }

            Interlocked.Decrement(ref Active);
            return $"ingest-{idempotencyKey}";
        }

        public Task WaitForIngestAsync(string ingestRunId, TimeSpan timeout, TimeSpan pollInterval, CancellationToken cancellation)
        {
            Calls.Enqueue($"wait {ingestRunId}");
            return IngestRunFails ? throw new PipelineTaskException($"ingest run {ingestRunId} failed: the API answered 500") { Retryable = false } : Task.CompletedTask;
        }

        public Task CheckFreshnessAsync(TimeSpan sla, IReadOnlyList<string> stages, CancellationToken cancellation)
        {
            Calls.Enqueue("freshness");
            return Interlocked.Decrement(ref FailFreshness) >= 0 ? throw new PipelineTaskException("stale data: ticks has no data") : Task.CompletedTask;
        }
    }

    private static PipelineSchedule Schedule(int retries = 2) => new()
    {
        DagId = "crypto_etl", Description = "", Cron = "*/5 * * * *", Expression = Cronos.CronExpression.Parse("*/5 * * * *"), TimeZone = TimeZoneInfo.Utc,
        Catchup = false, MaxActiveRuns = 1, Retries = retries, RetryDelay = TimeSpan.FromSeconds(30), RetryExponentialBackoff = true,
        MaxRetryDelay = TimeSpan.FromMinutes(10), IngestTimeout = TimeSpan.FromMinutes(10), PollInterval = TimeSpan.FromSeconds(5),
        FreshnessSla = TimeSpan.FromMinutes(15), FreshnessStages = ["ticks", "candles"],
    };

    private static SchedulerHistory SqliteHistory(string? path = null) =>
        new(RelationalStore.OpenSqlite(path ?? Path.Combine(System.IO.Directory.CreateTempSubdirectory("scheduler").FullName, "runs.db")));

    private static async Task<List<DagRun>> Settled(SchedulerHistory history, FakeTimeProvider clock, Func<List<DagRun>, bool> done)
    {
        for (var i = 0; i < 400; i++)
        {
            var runs = await history.ListAsync(1000, Cancel);
            if (done(runs))
            {
                return runs;
            }

            clock.Advance(TimeSpan.FromSeconds(1)); // retry delays and polls wait on the test clock
            await Task.Delay(10, Cancel);
        }

        throw new TimeoutException("The scheduler did not reach the expected history.");
    }

    [Fact]
    public async Task Fires_on_each_slot_with_the_run_id_as_idempotency_key()
    {
        var clock = new FakeTimeProvider(Start);
        var tasks = new RecordingTasks();
        var history = SqliteHistory();
        using var scheduler = new PipelineScheduler(Schedule(), history, tasks, clock, NullLogger<PipelineScheduler>.Instance);
        await scheduler.StartAsync(Cancel);
        await Eventually.TrueAsync(() => scheduler.Started, TimeSpan.FromSeconds(10), "start");

        Assert.Equal(Start.AddMinutes(3), scheduler.NextRun);
        clock.Advance(TimeSpan.FromMinutes(3));
        var first = await Settled(history, clock, runs => runs.Count == 1 && runs[0].State == DagRunState.Success);
        clock.Advance(TimeSpan.FromMinutes(5));
        var second = await Settled(history, clock, runs => runs.Count == 2 && runs.All(r => r.State == DagRunState.Success));
        await scheduler.StopAsync(Cancel);

        Assert.Equal("scheduled__2026-11-24T10:05:00+00:00", first[0].DagRunId);
        Assert.Contains("trigger scheduled__2026-11-24T10:05:00+00:00", tasks.Calls);
        Assert.Contains("wait ingest-scheduled__2026-11-24T10:05:00+00:00", tasks.Calls);
        Assert.Equal([Start.AddMinutes(8), Start.AddMinutes(3)], second.Select(r => r.LogicalTime));
        Assert.All(second, r => Assert.Equal(("scheduled", 3), (r.Trigger, r.Tries)));
    }

    [Fact]
    public async Task A_failing_task_is_retried_with_backoff_then_succeeds_or_fails_with_the_cause()
    {
        var clock = new FakeTimeProvider(Start);
        var tasks = new RecordingTasks { FailTriggers = 2 };
        var history = SqliteHistory();
        using var scheduler = new PipelineScheduler(Schedule(retries: 2), history, tasks, clock, NullLogger<PipelineScheduler>.Instance);
        await scheduler.StartAsync(Cancel);
        await Eventually.TrueAsync(() => scheduler.Started, TimeSpan.FromSeconds(10), "start");

        clock.Advance(TimeSpan.FromMinutes(3));
        var recovered = await Settled(history, clock, runs => runs.Count == 1 && runs[0].State is DagRunState.Success or DagRunState.Failed);
        Assert.Equal((DagRunState.Success, 5), (recovered[0].State, recovered[0].Tries));

        tasks.FailFreshness = 10;
        clock.Advance(TimeSpan.FromMinutes(5));
        var failed = await Settled(history, clock, runs => runs.Count == 2 && runs[0].State is DagRunState.Failed);
        await scheduler.StopAsync(Cancel);

        Assert.Equal("check_freshness failed after 3 tries: stale data: ticks has no data", failed[0].Error);
        Assert.NotNull(failed[0].FinishedAt);
    }

    [Fact]
    public async Task A_manual_trigger_at_start_up_waits_for_the_history_and_runs()
    {
        var clock = new FakeTimeProvider(Start);
        var history = SqliteHistory();
        using var scheduler = new PipelineScheduler(Schedule(), history, new RecordingTasks(), clock, NullLogger<PipelineScheduler>.Instance);
        await scheduler.StartAsync(Cancel);

        var run = await scheduler.TriggerAsync(Cancel); // before the history's tables exist, this used to fail and hold the one-run gate

        Assert.NotNull(run);
        var runs = await Settled(history, clock, r => r.Count == 1 && r[0].State == DagRunState.Success);
        Assert.Equal(run.DagRunId, runs[0].DagRunId);
        Assert.NotNull(await scheduler.TriggerAsync(Cancel)); // the gate is free again
        await scheduler.StopAsync(Cancel);
    }

    [Fact]
    public async Task A_failed_ingest_run_fails_the_DAG_run_at_once_as_the_DAG_does()
    {
        var clock = new FakeTimeProvider(Start);
        var tasks = new RecordingTasks { IngestRunFails = true };
        var history = SqliteHistory();
        using var scheduler = new PipelineScheduler(Schedule(retries: 3), history, tasks, clock, NullLogger<PipelineScheduler>.Instance);
        await scheduler.StartAsync(Cancel);
        await Eventually.TrueAsync(() => scheduler.Started, TimeSpan.FromSeconds(10), "start");

        clock.Advance(TimeSpan.FromMinutes(3));
        var failed = await Settled(history, clock, runs => runs.Count == 1 && runs[0].State is DagRunState.Failed);
        await scheduler.StopAsync(Cancel);

        Assert.Single(tasks.Calls, c => c.StartsWith("wait ", StringComparison.Ordinal));
        Assert.Equal("wait_for_ingest failed after 1 tries: ingest run ingest-scheduled__2026-11-24T10:05:00+00:00 failed: the API answered 500", failed[0].Error);
    }

    [Fact]
    public async Task Never_more_than_one_run_at_a_time_and_a_manual_trigger_meanwhile_is_refused()
    {
        var clock = new FakeTimeProvider(Start);
        var tasks = new RecordingTasks { Gate = new TaskCompletionSource() };
        var history = SqliteHistory();
        using var scheduler = new PipelineScheduler(Schedule(), history, tasks, clock, NullLogger<PipelineScheduler>.Instance);
        await scheduler.StartAsync(Cancel);
        await Eventually.TrueAsync(() => scheduler.Started, TimeSpan.FromSeconds(10), "start");

        var manual = await scheduler.TriggerAsync(Cancel);
        Assert.NotNull(manual);
        await Eventually.TrueAsync(() => tasks.Active == 1, TimeSpan.FromSeconds(10), "the manual run to be in ingest");
        Assert.Null(await scheduler.TriggerAsync(Cancel));
        clock.Advance(TimeSpan.FromMinutes(3)); // a slot comes due while the manual run is active
        await Task.Delay(200, Cancel);
        Assert.Equal(1, tasks.Active);

        tasks.Gate.SetResult();
        var runs = await Settled(history, clock, r => r.Count == 2 && r.All(x => x.State == DagRunState.Success));
        await scheduler.StopAsync(Cancel);

        Assert.Equal(1, tasks.MaxActive);
        Assert.Equal(["scheduled", "manual"], runs.Select(r => r.Trigger));
    }

    [Fact]
    public async Task Slots_missed_while_stopped_or_skipped_by_a_clock_jump_are_recorded_and_only_the_latest_runs()
    {
        var path = Path.Combine(System.IO.Directory.CreateTempSubdirectory("scheduler").FullName, "runs.db");
        var clock = new FakeTimeProvider(Start);
        var tasks = new RecordingTasks();
        using (var first = new PipelineScheduler(Schedule(), SqliteHistory(path), tasks, clock, NullLogger<PipelineScheduler>.Instance))
        {
            await first.StartAsync(Cancel);
            await Eventually.TrueAsync(() => first.Started, TimeSpan.FromSeconds(10), "start");
            clock.Advance(TimeSpan.FromMinutes(3));
            await Settled(SqliteHistory(path), clock, runs => runs.Count == 1 && runs[0].State == DagRunState.Success);
            await first.StopAsync(Cancel);
        }

        clock.Advance(TimeSpan.FromHours(1)); // stopped for an hour: 12 slots missed
        var history = SqliteHistory(path);
        using var second = new PipelineScheduler(Schedule(), history, tasks, clock, NullLogger<PipelineScheduler>.Instance);
        await second.StartAsync(Cancel);
        var runs = await Settled(history, clock, r => r.Count == 13 && r[0].State == DagRunState.Success);
        await second.StopAsync(Cancel);

        Assert.Equal(11, runs.Count(r => r.State == DagRunState.Skipped));
        Assert.Equal(2, tasks.Calls.Count(c => c.StartsWith("trigger", StringComparison.Ordinal)));
        Assert.Equal(Start.AddMinutes(63), runs[0].LogicalTime);
    }

    /// <summary>
    /// The history on a disk that is full from the start, then mid-run: the scheduler waits for room (it used to exit,
    /// and after a few restarts stayed down for good), then records every run and keeps to its schedule.
    /// </summary>
    [Fact]
    public async Task A_full_disk_holds_the_history_up_but_never_stops_the_scheduler()
    {
        using var disk = SmallDisk.Mount(megabytes: 4);
        var history = SqliteHistory(Path.Combine(disk.Path, "runs.db"));
        disk.Fill();
        var clock = new FakeTimeProvider(Start);
        var tasks = new RecordingTasks();
        using var scheduler = new PipelineScheduler(Schedule(), history, tasks, clock, NullLogger<PipelineScheduler>.Instance);
        await scheduler.StartAsync(Cancel);
        for (var i = 0; i < 50; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(20, Cancel);
        }

        Assert.False(scheduler.Started);
        Assert.False(scheduler.ExecuteTask!.IsCompleted, "the scheduler gave up");
        await Assert.ThrowsAsync<CryptoEtl.ServiceDefaults.Failures.OutageException>(() => scheduler.TriggerAsync(Cancel));
        // GET /scheduler/runs meanwhile: a 503 that says so, not a 500 from a table not made yet.
        await Assert.ThrowsAsync<CryptoEtl.ServiceDefaults.Failures.OutageException>(() => scheduler.HistoryAsync(10, Cancel));

        disk.Free();
        await Eventually.TrueAsync(() =>
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            return scheduler.Started;
        }, TimeSpan.FromSeconds(30), "the scheduler to start once there is room");
        var next = scheduler.NextRun!.Value;
        clock.Advance(next - clock.GetUtcNow());
        var runs = await Settled(history, clock, r => r.Count >= 1 && r[^1].State == DagRunState.Success);
        await scheduler.StopAsync(Cancel);

        Assert.Equal(DagRun.ScheduledId(next), runs[^1].DagRunId);
        Assert.Equal(runs[^1].DagRunId, (await scheduler.HistoryAsync(10, Cancel))[0].DagRunId);
        Assert.False(scheduler.ExecuteTask.IsFaulted);
    }

    [Fact]
    public async Task History_is_kept_in_PostgreSQL_when_it_is_configured()
    {
        var server = await PostgresServer.SharedAsync();
        var history = new SchedulerHistory(RelationalStore.OpenPostgres(await server.CreateDatabaseAsync("scheduler")));
        var clock = new FakeTimeProvider(Start);
        using var scheduler = new PipelineScheduler(Schedule(), history, new RecordingTasks { FailTriggers = 1 }, clock, NullLogger<PipelineScheduler>.Instance);
        await scheduler.StartAsync(Cancel);
        await Eventually.TrueAsync(() => scheduler.Started, TimeSpan.FromSeconds(10), "start");

        clock.Advance(TimeSpan.FromMinutes(3));
        var runs = await Settled(history, clock, r => r.Count == 1 && r[0].State == DagRunState.Success);
        await scheduler.StopAsync(Cancel);

        Assert.Equal(("scheduled__2026-11-24T10:05:00+00:00", 4, "ingest-scheduled__2026-11-24T10:05:00+00:00"), (runs[0].DagRunId, runs[0].Tries, runs[0].IngestRunId));
        Assert.Equal(Start.AddMinutes(3), runs[0].LogicalTime);
    }
}
