using System.Data.Common;
using System.Diagnostics;
using CryptoEtl.Ingest.Telemetry;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Ingest.Runs;

/// <summary>
/// Starts runs for the run API: at most one at a time in this process, the same run again for a repeated
/// Idempotency-Key, each run bounded by <see cref="IngestOptions.RunTimeout"/>, and stopped cleanly at shutdown.
/// </summary>
public sealed class RunCoordinator(
    RunLedger ledger,
    IServiceScopeFactory scopes,
    TimeProvider clock,
    IOptions<IngestOptions> options,
    IngestTelemetry telemetry,
    ILogger<RunCoordinator> logger) : IHostedService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private RunInProgress? _active;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ledger.MigrateAsync(cancellationToken);
        var interrupted = await ledger.FailInterruptedAsync(clock.GetUtcNow(), cancellationToken);
        if (interrupted > 0)
        {
            logger.InterruptedRuns(interrupted);
        }
    }

    /// <summary>Cancels the active run and waits for it, so its deliveries are settled and its state recorded.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_active is { } active)
        {
            await active.Completion.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async Task<TriggerResult> TriggerAsync(string? idempotencyKey, CancellationToken cancellation)
    {
        await _gate.WaitAsync(cancellation);
        try
        {
            if (idempotencyKey is not null && await ledger.FindByIdempotencyKeyAsync(idempotencyKey, cancellation) is { } earlier)
            {
                return new TriggerResult(TriggerOutcome.Repeated, Current(earlier));
            }

            if (_active is { } active && !active.Completion.IsCompleted)
            {
                return new TriggerResult(TriggerOutcome.Busy, active.Run);
            }

            var now = clock.GetUtcNow();
            var run = new IngestRun { RunId = IngestRun.NewId(now), IdempotencyKey = idempotencyKey, Status = RunStatus.Running, RequestedAt = now, StartedAt = now };
            try
            {
                await ledger.InsertAsync(run, cancellation);
            }
            catch (DbException e) when (idempotencyKey is not null && RunLedger.IsUniqueViolation(e))
            {
                // Another Ingest instance sharing the ledger took this key a moment ago.
                return new TriggerResult(TriggerOutcome.Repeated, (await ledger.FindByIdempotencyKeyAsync(idempotencyKey, cancellation))!);
            }

            var started = new RunInProgress(run, Activity.Current?.Context ?? default);
            _active = started;
            started.Completion = Task.Run(() => ExecuteAsync(started), CancellationToken.None);
            return new TriggerResult(TriggerOutcome.Started, run);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The ledger's view of a run, or the live one while it runs in this process.</summary>
    public async Task<IngestRun?> GetAsync(string runId, CancellationToken cancellation) =>
        _active is { } active && active.Run.RunId == runId && !active.Completion.IsCompleted ? active.Run : await ledger.GetAsync(runId, cancellation);

    public IngestRun? ActiveRun => _active is { } active && !active.Completion.IsCompleted ? active.Run : null;

    private IngestRun Current(IngestRun fromLedger) =>
        _active is { } active && active.Run.RunId == fromLedger.RunId && !active.Completion.IsCompleted ? active.Run : fromLedger;

    private async Task ExecuteAsync(RunInProgress active)
    {
        using var activity = IngestTelemetry.Source.StartActivity("ingest run", ActivityKind.Internal, default(ActivityContext),
            links: active.TriggeredBy == default ? null : [new ActivityLink(active.TriggeredBy)]);
        activity?.SetTag("cryptoetl.run_id", active.Run.RunId);
        logger.RunStarted(active.Run.RunId);

        using var timeout = new CancellationTokenSource(options.Value.RunTimeout, clock);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        IngestRun finished;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var runner = scope.ServiceProvider.GetRequiredService<IngestRunner>();
            var counts = await runner.RunAsync(active.Run.RunId, progress => active.Run = With(active.Run, progress), cancellation.Token);
            finished = With(active.Run, counts) with { Status = RunStatus.Succeeded, FinishedAt = clock.GetUtcNow() };
            logger.RunSucceeded(finished.RunId, counts.Fetched, counts.Published, counts.Duplicates, counts.Rejected, counts.Source);
        }
        catch (Exception e)
        {
            var error = e switch
            {
                OperationCanceledException when timeout.IsCancellationRequested => $"timed out after {options.Value.RunTimeout}",
                OperationCanceledException when _stopping.IsCancellationRequested => "interrupted: the Ingest service is shutting down",
                _ => e.Message,
            };
            var counts = (e as RunFailedException)?.Counts;
            finished = (counts is null ? active.Run : With(active.Run, counts)) with { Status = RunStatus.Failed, FinishedAt = clock.GetUtcNow(), Error = error };
            activity?.SetStatus(ActivityStatusCode.Error, error);
            logger.RunFailed(finished.RunId, error);
        }

        active.Run = finished;
        telemetry.Runs.Add(1, new KeyValuePair<string, object?>("status", finished.Status.ToString()));
        activity?.SetTag("cryptoetl.run.status", finished.Status.ToString());
        await ledger.UpdateAsync(finished, CancellationToken.None);
    }

    private static IngestRun With(IngestRun run, RunCounts counts) => run with
    {
        Fetched = counts.Fetched,
        Published = counts.Published,
        Duplicates = counts.Duplicates,
        Rejected = counts.Rejected,
        Source = counts.Source,
    };

    private sealed class RunInProgress(IngestRun run, ActivityContext triggeredBy)
    {
        public IngestRun Run { get; set; } = run;

        public ActivityContext TriggeredBy { get; } = triggeredBy;

        public Task Completion { get; set; } = Task.CompletedTask;
    }
}

public enum TriggerOutcome
{
    Started,
    Repeated,
    Busy,
}

public sealed record TriggerResult(TriggerOutcome Outcome, IngestRun Run);
