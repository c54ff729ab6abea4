namespace CryptoEtl.Processor.Telemetry;

internal static partial class ProcessorLog
{
    [LoggerMessage(1, LogLevel.Information, "Loader started: group {Group}, store {Store}")]
    public static partial void Started(this ILogger logger, string group, string store);

    [LoggerMessage(2, LogLevel.Warning, "A batch of {Count} records could not be stored; consumption paused, try {Attempt} in {Delay}: {Error}")]
    public static partial void WriteFailed(this ILogger logger, int count, int attempt, TimeSpan delay, string error);

    [LoggerMessage(4, LogLevel.Warning, "Dead-lettered a record from {Topic} [{Partition}] @{Offset}: {Reason}")]
    public static partial void DeadLettered(this ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(5, LogLevel.Debug, "Wrote {Records} records in {Elapsed}: {Written}")]
    public static partial void BatchWritten(this ILogger logger, int records, TimeSpan elapsed, string written);

    [LoggerMessage(6, LogLevel.Information, "Deleted {Count} ticks older than {Cutoff} (retention)")]
    public static partial void RetentionDeleted(this ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(7, LogLevel.Warning, "Tick retention failed; trying again in {Period}: {Error}")]
    public static partial void RetentionFailed(this ILogger logger, TimeSpan period, string error);
}
