using System.Collections.Concurrent;
using System.Globalization;

namespace CryptoEtl.AppHost.Running;

/// <summary>
/// Restarts a process of the model (a project or an executable) that exits on its own, after 1, 2, 4 … 30 s; the
/// backoff starts afresh once a process has run for a minute. Each exit is said in one line with the process's own
/// error (its termination log, ServiceDefaults' TerminationLog: every CryptoEtl process writes there why it stopped), each restart is counted
/// in the resource's <c>restarts</c> property, and after <see cref="CrashLoopAfter"/> exits in a row that each came
/// within a minute of a start the resource is in a <c>crash loop</c> (the <see cref="CrashLoopProperty"/>, shown by the
/// dashboard, the status line and the summary). A process stopped on purpose (the dashboard's Stop, or the AppHost
/// stopping) is left stopped.
/// </summary>
public sealed partial class ResourceRestarts(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    PipelineRunOptions run,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ResourceRestarts> logger) : SupervisionService
{
    public const string RestartsProperty = "restarts";
    public const string CrashLoopProperty = "crash-loop";
    public const int CrashLoopAfter = 3;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Supervised> _resources = new();

    /// <summary>The resources that were failing when asked: exited by themselves and not running again, or in a crash loop; with their last error.</summary>
    public IReadOnlyList<(string Resource, string Problem)> Failing() => [.. _resources.Values
        .Where(s => s.CrashLoop || (s.Crashed && s.State != KnownResourceStates.Running))
        .Select(s => (s.Name, s.CrashLoop ? $"crash loop after {s.Restarts} restarts: {s.LastError}" : $"exited: {s.LastError}"))];

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            if (update.Resource is not (ProjectResource or ExecutableResource) || update.Snapshot.IsHidden || update.Snapshot.State?.Text is not { } state)
            {
                continue;
            }

            var supervised = _resources.GetOrAdd(update.ResourceId, _ => new Supervised(update.Resource.Name));
            var previous = supervised.State;
            supervised.State = state;
            if (state == KnownResourceStates.Running && previous != KnownResourceStates.Running)
            {
                supervised.RunningSince = clock.GetUtcNow();
                supervised.Crashed = false;
            }

            if (supervised.CrashLoop && state == KnownResourceStates.Running && clock.GetUtcNow() - supervised.RunningSince > StableAfter)
            {
                supervised.CrashLoop = false;
                await PublishAsync(update, supervised);
            }

            // Running -> Finished or Exited, with no Stopping in between: the process ended by itself.
            var crashed = KnownResourceStates.TerminalStates.Contains(state) && previous == KnownResourceStates.Running;
            if (crashed && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                supervised.Crashed = true;
                _ = RestartAsync(update, supervised, stoppingToken);
            }
        }
    }

    /// <summary>The variable that names the file (ServiceDefaults' TerminationLog.Variable; the AppHost does not link the services).</summary>
    public const string TerminationLogVariable = "CRYPTOETL_TERMINATION_LOG";

    /// <summary>Where a process of the run writes why it stopped (ServiceDefaults' TerminationLog).</summary>
    public static string TerminationLogOf(PipelineRunOptions run, string resource) => Path.Combine(run.StateOf(resource), "termination-log");

    /// <summary>The line the process wrote before it ended, taken so that the next exit says its own.</summary>
    private string? TakeLastWords(string resource)
    {
        var path = TerminationLogOf(run, resource);
        try
        {
            var line = File.ReadAllText(path).Trim();
            File.Delete(path);
            return line.Length > 0 ? line : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // none written (killed, say)
        }
    }

    private async Task RestartAsync(ResourceEvent crash, Supervised supervised, CancellationToken stoppingToken)
    {
        var ranFor = clock.GetUtcNow() - supervised.RunningSince;
        supervised.Failures = ranFor > StableAfter ? 1 : supervised.Failures + 1;
        var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, supervised.Failures - 1)));
        var restarts = Interlocked.Increment(ref supervised.Restarts);
        try
        {
            var exitCode = crash.Snapshot.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown";
            supervised.LastError = TakeLastWords(crash.Resource.Name) ?? "it wrote no reason";
            var error = supervised.LastError;
            if (supervised.Failures >= CrashLoopAfter)
            {
                supervised.CrashLoop = true;
                CrashLoop(logger, crash.Resource.Name, exitCode, error, supervised.Failures, backoff.TotalSeconds);
            }
            else
            {
                Exited(logger, crash.Resource.Name, exitCode, error, restarts, backoff.TotalSeconds);
            }

            await PublishAsync(crash, supervised);
            await Task.Delay(backoff, clock, stoppingToken);
            if (lifetime.ApplicationStopping.IsCancellationRequested || supervised.State != crash.Snapshot.State?.Text)
            {
                return; // the AppHost is stopping, or someone started it already
            }

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

    private Task PublishAsync(ResourceEvent update, Supervised supervised) =>
        notifications.PublishUpdateAsync(update.Resource, update.ResourceId, s => s with
        {
            Properties =
            [
                .. s.Properties.Where(p => p.Name is not RestartsProperty and not CrashLoopProperty),
                new ResourcePropertySnapshot(RestartsProperty, supervised.Restarts),
                .. supervised.CrashLoop ? [new ResourcePropertySnapshot(CrashLoopProperty, supervised.LastError)] : Array.Empty<ResourcePropertySnapshot>(),
            ],
        });

    [LoggerMessage(1, LogLevel.Warning, "{Resource} exited with code {ExitCode}: {Error} (restart {Restarts} in {Backoff} s)")]
    private static partial void Exited(ILogger logger, string resource, string exitCode, string error, int restarts, double backoff);

    [LoggerMessage(2, LogLevel.Error, "{Resource} could not be restarted: {Reason}")]
    private static partial void RestartFailed(ILogger logger, string resource, string reason);

    [LoggerMessage(3, LogLevel.Error, "{Resource} is in a crash loop: it exited with code {ExitCode}: {Error} ({Failures} times in a row within a minute of starting; next restart in {Backoff} s)")]
    private static partial void CrashLoop(ILogger logger, string resource, string exitCode, string error, int failures, double backoff);

    private sealed class Supervised(string name)
    {
        public int Restarts;

        public string Name { get; } = name;

        public string? State { get; set; }

        public DateTimeOffset RunningSince { get; set; }

        public int Failures { get; set; }

        public string? LastError { get; set; }

        public bool Crashed { get; set; }

        public bool CrashLoop { get; set; }
    }
}
