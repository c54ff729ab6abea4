using System.Data.Common;
using System.Diagnostics;
using CryptoEtl.Ingest.Telemetry;
using CryptoEtl.ServiceDefaults.Failures;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Ingest.Runs;

/// <summary>
/// Starts runs for the run API: at most one at a time in this process, the same run again for a repeated
/// Idempotency-Key, each run bounded by <see cref="IngestOptions.RunTimeout"/>, and stopped cleanly at shutdown. Once a
/// run is reported finished, the next trigger is accepted (it waits for the finished run's ledger entry, no 409); a
/// ledger that cannot be written (a full disk) is waited out, so the outcome of a run is never lost.
/// </summary>
public sealed class RunCoordinator(
    RunLedger ledger,
    IServiceScopeFactory scopes,
    TimeProvider clock,
    IOptions<IngestOptions> options,
    IngestTelemetry telemetry,
    ILogger<RunCoordinator> logger) : IHostedService
{
    private static readonly TimeSpan LedgerWait = TimeSpan.FromSeconds(10);

    /// <summary>How long a stop gives the ledger to take the end of the run it interrupted.</summary>
    private static readonly TimeSpan FinalSaveOnStop = TimeSpan.FromSeconds(10);

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
                if (active.Run.Status == RunStatus.Running)
                {
                    return new TriggerResult(TriggerOutcome.Busy, active.Run);
                }

                // Reported finished already: only its ledger entry is being written, which a full disk can hold up.
                try
                {
                    await active.Completion.WaitAsync(LedgerWait, cancellation);
                }
                catch (TimeoutException)
                {
                    throw new OutageException("The run ledger", $"run {active.Run.RunId} has finished but its outcome cannot be recorded yet");
                }
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
            catch (Exception e) when (e is DbException or IOException)
            {
                throw new OutageException("The run ledger", e.Message, e);
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

    /// <summary>The newest runs from the ledger, the one running in this process as it is now (with its progress).</summary>
    public async Task<IEnumerable<IngestRun>> ListAsync(int limit, CancellationToken cancellation) =>
        (await ledger.ListAsync(limit, cancellation)).Select(Current);

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
        try
        {
            if (_stopping.IsCancellationRequested)
            {
                // The stop interrupted the run: one bounded try, so the ledger says so rather than "running".
                using var finalSave = new CancellationTokenSource(FinalSaveOnStop, clock);
                await ledger.UpdateAsync(finished, finalSave.Token);
            }
            else
            {
                await WaitOut.UntilDoneAsync(token => ledger.UpdateAsync(finished, token), $"record run {finished.RunId} in the ledger", logger, _stopping.Token, clock);
            }
        }
        catch (Exception e) when (_stopping.IsCancellationRequested && e is OperationCanceledException or DbException)
        {
            // Stopping before the ledger took it: the next start marks the run as interrupted.
        }
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
