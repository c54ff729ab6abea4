namespace CryptoEtl.SparkJob.SparkConnect.Jobs;

internal static partial class SparkConnectJobLog
{
    [LoggerMessage(110, LogLevel.Information, "Spark Connect executor: Spark {Version} at {Remote}, session {SessionId}; queries {Queries}")]
    public static partial void Connected(this ILogger logger, string version, string remote, string sessionId, string queries);

    [LoggerMessage(111, LogLevel.Information, "Query {Name} started: id {Id}, run id {RunId}")]
    public static partial void QueryStarted(this ILogger logger, string name, string id, string runId);

    [LoggerMessage(112, LogLevel.Information, "Query {Name} is already active (id {Id}, run id {RunId}); not started again")]
    public static partial void QueryAlreadyActive(this ILogger logger, string name, string id, string runId);

    [LoggerMessage(113, LogLevel.Error, "Spark refused to start query {Name}: {Error}")]
    public static partial void QueryRefused(this ILogger logger, string name, string error);

    [LoggerMessage(114, LogLevel.Warning, "Could not submit the queries yet (retrying in {Delay}): {Error}")]
    public static partial void SubmitRetry(this ILogger logger, TimeSpan delay, string error);

    [LoggerMessage(115, LogLevel.Information, "Query {Name}: {Status}; {Progress}")]
    public static partial void QueryStatus(this ILogger logger, string name, string status, string progress);

    [LoggerMessage(116, LogLevel.Error, "Query {Name} is not running: {Reason}")]
    public static partial void QueryNotRunning(this ILogger logger, string name, string reason);

    [LoggerMessage(117, LogLevel.Warning, "Status report failed: {Error}")]
    public static partial void StatusFailed(this ILogger logger, string error);

    [LoggerMessage(118, LogLevel.Information, "Stopped query {Name} (--stop-on-exit)")]
    public static partial void QueryStopped(this ILogger logger, string name);

    [LoggerMessage(119, LogLevel.Critical, "The Spark Connect executor stopped: {Error}")]
    public static partial void Crashed(this ILogger logger, string error);

    [LoggerMessage(120, LogLevel.Warning, "Spark closed the job's session {Configured} earlier (its queries stopped with it); using generation {Generation} of it: session {SessionId}")]
    public static partial void SessionMoved(this ILogger logger, string configured, string sessionId, int generation);

    [LoggerMessage(121, LogLevel.Warning, "Restarting the queries that are not running: {Queries} (next attempt not before {Delay} from now)")]
    public static partial void Restarting(this ILogger logger, string queries, TimeSpan delay);

    [LoggerMessage(122, LogLevel.Warning, "Spark closed the session {SessionId}; opening the next one and resubmitting")]
    public static partial void SessionLost(this ILogger logger, string sessionId);
}
