using Confluent.Kafka;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// What a Kafka batch stage does with its batches (transform them, load them). <see cref="KafkaBatchStage"/> does the
/// rest: reading, retries, pausing, committing, rebalances and lag.
/// </summary>
public abstract class BatchSink : IDisposable
{
    /// <summary>The topics the stage reads.</summary>
    public abstract IReadOnlyList<string> Subscription { get; }

    /// <summary>Work to finish before the stage starts reading (creating a store's collections, say).</summary>
    public virtual Task PrepareAsync(CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>Where a partition just assigned starts: <see cref="Offset.Unset"/> for the group's committed offset (or the earliest).</summary>
    public virtual Offset Assigned(IConsumer<byte[]?, byte[]?> consumer, TopicPartition partition) => Offset.Unset;

    /// <summary>A partition went to another member (or was lost): forget what is kept for it.</summary>
    public virtual void Released(TopicPartition partition)
    {
    }

    /// <summary>
    /// The partition's log was replaced (a broker that came back empty, a recreated topic): its offsets start again,
    /// and what the sink kept about the old ones (a checkpoint's offset) no longer applies. The records of the new log
    /// follow in the next batches.
    /// </summary>
    public virtual void LogReplaced(TopicPartition partition)
    {
    }

    /// <summary>Whether this stage still processes the partition's records (an assigned partition it was fenced from does not).</summary>
    public virtual bool Owns(TopicPartition partition) => true;

    /// <summary>
    /// Makes the batch durable downstream and returns, for each partition it covers, the offset to commit. Throws when
    /// the batch cannot be made durable now; the stage then waits and calls it again with the same records.
    /// </summary>
    public abstract IReadOnlyDictionary<TopicPartition, long> Write(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> batch, BatchAttempt attempt, CancellationToken cancellation);

    /// <summary>A try of a batch failed and the stage tries again in <paramref name="delay"/>: count it, and say why for /health.</summary>
    public virtual string Failed(Exception error, int records, BatchAttempt attempt, TimeSpan delay) => error.Message;

    /// <summary>A batch is durable and its offsets are committed (or will be with the next batch).</summary>
    public virtual void Completed(int records, TimeSpan elapsed)
    {
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>
    /// The offset after the last record of each partition: what a batch that is all durable commits. The last in the
    /// batch's order, not the highest: after a replaced log, a batch can hold the old log's last records and then the
    /// new log's first.
    /// </summary>
    protected static Dictionary<TopicPartition, long> NextOffsets(IEnumerable<ConsumeResult<byte[]?, byte[]?>> records)
    {
        var next = new Dictionary<TopicPartition, long>();
        foreach (var record in records)
        {
            next[record.TopicPartition] = record.Offset.Value + 1;
        }

        return next;
    }
}
