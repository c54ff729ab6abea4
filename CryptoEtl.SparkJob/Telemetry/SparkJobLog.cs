namespace CryptoEtl.SparkJob.Telemetry;

internal static partial class SparkJobLog
{
    [LoggerMessage(1, LogLevel.Information, "Partition {Partition} assigned; resuming at offset {Offset} ({From})")]
    public static partial void Assigned(this ILogger logger, int partition, string offset, string from);

    [LoggerMessage(2, LogLevel.Information, "Partition {Partition} revoked")]
    public static partial void Revoked(this ILogger logger, int partition);

    [LoggerMessage(3, LogLevel.Error, "Batch failed; restarting from the checkpoints in {Delay}: {Error}")]
    public static partial void BatchFailed(this ILogger logger, TimeSpan delay, string error);

    [LoggerMessage(4, LogLevel.Warning, "Partition {Partition} was checkpointed further by another instance; letting it go")]
    public static partial void Fenced(this ILogger logger, int partition);

    [LoggerMessage(5, LogLevel.Information, "Local executor started: group {Group}, checkpoints in {Directory}, intervals {Intervals}, lateness {Lateness}")]
    public static partial void Started(this ILogger logger, string group, string directory, string intervals, TimeSpan lateness);

    [LoggerMessage(6, LogLevel.Debug, "Batch of {Records} records: {Ticks} ticks, {Candles} candles, {Alerts} alerts, {Late} late, {DeadLetters} dead letters in {Elapsed}; checkpoint wrote {CheckpointBytes} B against a state of {StateBytes} B")]
    public static partial void BatchDone(this ILogger logger, int records, int ticks, int candles, int alerts, int late, int deadLetters, long checkpointBytes, long stateBytes, TimeSpan elapsed);

    [LoggerMessage(7, LogLevel.Warning, "Commit of {Partitions} checkpointed offsets deferred to the next batch: {Reason}")]
    public static partial void CommitDeferred(this ILogger logger, int partitions, string reason);

    [LoggerMessage(8, LogLevel.Information, "Partition {Partition}: its log was replaced; the state carries on, and checkpoints count offsets of the new log (log epoch {Epoch})")]
    public static partial void LogReplaced(this ILogger logger, int partition, int epoch);

    [LoggerMessage(9, LogLevel.Warning, "A batch of {Records} records failed {Failures} times for a reason other than an outage ({Error}); taking its records one at a time")]
    public static partial void IsolatingBatch(this ILogger logger, int records, int failures, string error);

    [LoggerMessage(10, LogLevel.Error, "Partition {Partition} offset {Offset} cannot be processed ({Error}); dead-lettered as processing_failed, the partition moves on")]
    public static partial void PoisonRecord(this ILogger logger, int partition, long offset, string error);
}
