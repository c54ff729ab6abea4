namespace CryptoEtl.AppHost.Running;

/// <summary>
/// Stops the pipeline so that nothing Kafka acknowledged is left unprocessed (the embedded broker keeps it in memory
/// only): first the producers (the scheduler, then Ingest), then it waits until every consumer's group has committed
/// everything (GET /kafka/lag of each consumer says 0), then stops the consumers. Only then do the stand-ins stop.
/// Runs on Ctrl+C, SIGTERM and at the end of <c>--run-for</c>. A stop that gives up draining (a consumer's lag could
/// not be read, or stayed above zero) says what is left, writes it to the summary, and makes the AppHost exit with
/// <see cref="UndrainedExitCode"/>; a run that ends while a resource is failing (exited, or in a crash loop) exits with
/// <see cref="FailedResourceExitCode"/>. The stop itself never throws: whatever it cannot learn it says it does not know.
/// </summary>
public sealed partial class OrderedShutdown(
    ShutdownOrder order,
    PipelineRunOptions run,
    ResourceCommandService commands,
    ResourceNotificationService notifications,
    RunReport report,
    ResourceRestarts restarts,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<OrderedShutdown> logger) : IHostedService, IDisposable
{
    public const int UndrainedExitCode = 3;
    public const int FailedResourceExitCode = 4;

    private ITimer? _runFor;
    private int _stopped;
    private bool _started;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = true;
        if (run.RunFor is { } duration)
        {
            _runFor = clock.CreateTimer(_ => lifetime.StopApplication(), null, duration, Timeout.InfiniteTimeSpan);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_started || Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return; // nothing ran (RunSupervisedAsync speaks for a run stopped during its start); or a host stopped twice (as Aspire.Hosting.Testing's is on dispose) stops once
        }

        var failing = restarts.Failing();
        if (failing.Count > 0)
        {
            EndsFailing(logger, string.Join("; ", failing.Select(f => $"{f.Resource}: {f.Problem}")));
            Environment.ExitCode = FailedResourceExitCode;
        }

        try
        {
            await StopInOrderAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            StopIncomplete(logger, $"{e.GetType().Name}: {e.Message}");
            Environment.ExitCode = UndrainedExitCode;
        }
    }

    private async Task StopInOrderAsync(CancellationToken cancellationToken)
    {
        Stopping(logger, string.Join(", ", order.Producers.Select(p => p.Name)), string.Join(", ", order.Consumers.Select(c => c.Name)));
        // The run histories are read while the scheduler and Ingest still answer, the rest once the pipeline has drained.
        var before = await report.CountsAsync(cancellationToken);
        foreach (var producer in order.Producers)
        {
            await StopAsync(producer, cancellationToken);
        }

        var drain = await DrainAsync(order.DrainTimeout, cancellationToken);
        var after = await report.CountsAsync(cancellationToken) ?? await report.CountsAsync(cancellationToken);
        await Task.WhenAll(order.Consumers.Select(consumer => StopAsync(consumer, cancellationToken)));

        var counts = after is null ? null : after with { Runs = before?.Runs ?? after.Runs, DagRuns = before?.DagRuns ?? after.DagRuns };
        if (counts is not null)
        {
            FinalCounts(logger, counts.Line());
        }
        else
        {
            CountsUnavailable(logger);
        }

        if (!drain.Complete)
        {
            Environment.ExitCode = UndrainedExitCode;
        }

        try
        {
            if (report.WriteSummary(counts, drain, [.. order.Producers.Concat<IResource>(order.Consumers).Select(r => r.Name)]) is { } summary)
            {
                SummaryWritten(logger, summary);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SummaryFailed(logger, e.Message);
        }
    }

    public void Dispose()
    {
        _runFor?.Dispose();
    }

    private async Task StopAsync(IResource resource, CancellationToken cancellation)
    {
        var result = await commands.ExecuteCommandAsync(resource.Name, KnownResourceCommands.StopCommand, cancellation);
        if (!result.Success)
        {
            StopFailed(logger, resource.Name, result.Message ?? "no reason given");
            return;
        }

        await notifications.WaitForResourceAsync(resource.Name, KnownResourceStates.TerminalStates, cancellation);
    }

    /// <summary>Polls every consumer's lag until all are zero at once, or the time is up.</summary>
    private async Task<DrainOutcome> DrainAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        var started = clock.GetUtcNow();
        var remaining = new Dictionary<string, long?>();
        while (true)
        {
            remaining.Clear();
            foreach (var consumer in order.Consumers)
            {
                foreach (var progress in await report.LagAsync(consumer, cancellation))
                {
                    remaining[progress.Group] = progress.Lag;
                }
            }

            if (remaining.Values.All(lag => lag == 0))
            {
                Drained(logger, (clock.GetUtcNow() - started).TotalSeconds);
                return new DrainOutcome(true, new Dictionary<string, long?>());
            }

            if (clock.GetUtcNow() - started > timeout)
            {
                var left = string.Join(", ", remaining.Where(r => r.Value != 0).Select(r => $"{r.Key}: {(r.Value is { } lag ? $"{lag} records" : "lag unknown")}"));
                GaveUp(logger, timeout.TotalSeconds, left);
                return new DrainOutcome(false, new Dictionary<string, long?>(remaining.Where(r => r.Value != 0)));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), clock, cancellation);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Stopping in order: {Producers}; then draining {Consumers}; then the rest")]
    private static partial void Stopping(ILogger logger, string producers, string consumers);

    [LoggerMessage(2, LogLevel.Information, "Drained in {Seconds:0.0} s: every consumer group has committed everything Kafka acknowledged")]
    private static partial void Drained(ILogger logger, double seconds);

    [LoggerMessage(3, LogLevel.Error, "Gave up draining after {Seconds} s; acknowledged records left unprocessed: {Remaining}")]
    private static partial void GaveUp(ILogger logger, double seconds, string remaining);

    [LoggerMessage(4, LogLevel.Warning, "{Resource} did not stop cleanly: {Reason}")]
    private static partial void StopFailed(ILogger logger, string resource, string reason);

    [LoggerMessage(5, LogLevel.Information, "Final counts: {Counts}")]
    private static partial void FinalCounts(ILogger logger, string counts);

    [LoggerMessage(7, LogLevel.Warning, "Final counts: unknown (the control center did not answer after the drain)")]
    private static partial void CountsUnavailable(ILogger logger);

    [LoggerMessage(8, LogLevel.Error, "The run ends with failing resources: {Failing}")]
    private static partial void EndsFailing(ILogger logger, string failing);

    [LoggerMessage(9, LogLevel.Error, "The stop could not drain the pipeline in order: {Error}")]
    private static partial void StopIncomplete(ILogger logger, string error);

    [LoggerMessage(10, LogLevel.Error, "The summary could not be written: {Error}")]
    private static partial void SummaryFailed(ILogger logger, string error);

    [LoggerMessage(6, LogLevel.Information, "Summary: {Path}")]
    private static partial void SummaryWritten(ILogger logger, string path);
}

/// <summary>Whether the consumers processed everything Kafka acknowledged before they were stopped; if not, the lag left per group (null: unknown).</summary>
public sealed record DrainOutcome(bool Complete, IReadOnlyDictionary<string, long?> Remaining);

/// <summary>What stops first (the producers, in order) and what is drained before it stops (the consumers).</summary>
public sealed record ShutdownOrder(IReadOnlyList<IResource> Producers, IReadOnlyList<IResourceWithEndpoints> Consumers, TimeSpan DrainTimeout);
