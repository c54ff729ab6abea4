using Confluent.Kafka;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// Where each partition a stage reads should continue, so that records Kafka lost before the stage read them are
/// noticed and counted instead of silently skipped. Offsets of the pipeline's topics have no holes (no transactions,
/// no compaction), so a record after the offset expected means the ones between were evicted (the broker keeps a
/// partition's log within a size or a retention), and a record before it means the log itself was replaced: the broker
/// came back empty, or the topic was deleted and created again. Runs on the stage's thread.
/// </summary>
public sealed class LogContinuity
{
    private readonly Dictionary<TopicPartition, long> _next = [];
    private readonly Dictionary<TopicPartition, long> _end = [];

    /// <summary>The partition's next record should have this offset (where the stage starts or resumes).</summary>
    public void Expect(TopicPartition partition, long next) => _next[partition] = next;

    /// <summary>The partition went to another member, or its next offset is not known.</summary>
    public void Forget(TopicPartition partition)
    {
        _next.Remove(partition);
        _end.Remove(partition);
    }

    /// <summary>The partition's log was seen to end at <paramref name="end"/> (from a fetch): records up to there were acknowledged by Kafka.</summary>
    public void SawEnd(TopicPartition partition, long end)
    {
        if (end > _end.GetValueOrDefault(partition))
        {
            _end[partition] = end;
        }
    }

    /// <summary>Checks where a record is against where its partition should continue; returns the break found, if any.</summary>
    public LogBreak? Check(TopicPartition partition, long offset)
    {
        LogBreak? found = null;
        if (_next.TryGetValue(partition, out var next) && offset != next)
        {
            if (offset > next)
            {
                found = new LogBreak(partition, LogBreakKind.Evicted, next, offset, offset - next);
            }
            else
            {
                // What the old log held beyond this stage's position is gone with it.
                found = new LogBreak(partition, LogBreakKind.Replaced, next, offset, Math.Max(0, _end.GetValueOrDefault(partition) - next));
                _end.Remove(partition);
            }
        }

        _next[partition] = offset + 1;
        return found;
    }

    /// <summary>
    /// Checks where a partition is about to start (a checkpoint or a committed offset) against the log's range now:
    /// below its start, the records between were evicted (reading starts at <paramref name="low"/>); beyond its end,
    /// the log was replaced (reading starts at its beginning).
    /// </summary>
    public static LogBreak? CheckStart(TopicPartition partition, long start, long low, long high) =>
        start < low ? new LogBreak(partition, LogBreakKind.Evicted, start, low, low - start)
        : start > high ? new LogBreak(partition, LogBreakKind.Replaced, start, low, 0)
        : null;
}

public enum LogBreakKind
{
    /// <summary>Records between the expected offset and the one found were dropped by the broker before the stage read them.</summary>
    Evicted,

    /// <summary>The partition's log starts again below the stage's position: a broker that came back empty, or a recreated topic.</summary>
    Replaced,
}

/// <param name="Expected">The offset the stage expected next.</param>
/// <param name="Found">The offset it found (the next record's, or where reading now starts).</param>
/// <param name="Lost">Records Kafka had acknowledged that the stage will never read: those evicted, or those the replaced log held beyond the stage's position (as far as the stage had seen it).</param>
public sealed record LogBreak(TopicPartition Partition, LogBreakKind Kind, long Expected, long Found, long Lost)
{
    public override string ToString() => Kind == LogBreakKind.Evicted
        ? $"{Partition.Topic} [{Partition.Partition.Value}]: {Lost} record(s) at offsets {Expected}-{Found - 1} were evicted by the broker before this stage read them"
        : $"{Partition.Topic} [{Partition.Partition.Value}]: the log restarts at offset {Found}, below this stage's position {Expected} (the broker came back empty, or the topic was recreated); {Lost} record(s) it had not read are gone";
}
