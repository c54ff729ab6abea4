using Confluent.Kafka;

namespace CryptoEtl.Kafka;

/// <summary>Reading a topic from chosen offsets up to where it ends now, as tools (replay, browsing) do.</summary>
public static class TopicRanges
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Each partition of <paramref name="topic"/> and its end offset now (the offset the next record will get).</summary>
    public static Dictionary<TopicPartition, long> EndsNow<TKey, TValue>(this IConsumer<TKey, TValue> consumer, string topic)
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        return admin.GetMetadata(topic, Timeout).Topics.Single().Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId))
            .ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(p, Timeout).High.Value);
    }

    /// <summary>The oldest offset each partition still holds.</summary>
    public static long Oldest<TKey, TValue>(this IConsumer<TKey, TValue> consumer, TopicPartition partition) =>
        consumer.QueryWatermarkOffsets(partition, Timeout).Low.Value;

    /// <summary>
    /// Reads every record from <paramref name="next"/> (per partition) up to <paramref name="ends"/>, handing each to
    /// <paramref name="onRecord"/>; <paramref name="next"/> is left at the offsets that follow what was read.
    /// </summary>
    public static async Task ReadUntilAsync<TKey, TValue>(this IConsumer<TKey, TValue> consumer, Dictionary<TopicPartition, long> next,
        IReadOnlyDictionary<TopicPartition, long> ends, Func<ConsumeResult<TKey, TValue>, Task> onRecord, CancellationToken cancellation)
    {
        consumer.Assign(next.Select(n => new TopicPartitionOffset(n.Key, n.Value)));
        while (next.Any(n => n.Value < ends[n.Key]))
        {
            cancellation.ThrowIfCancellationRequested();
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { IsPartitionEOF: false } record)
            {
                // Offsets with no record to read (the broker dropped old ones): the fetch position moves past them.
                foreach (var partition in next.Keys.ToList())
                {
                    if (consumer.Position(partition) is { IsSpecial: false } position)
                    {
                        next[partition] = Math.Max(next[partition], position.Value);
                    }
                }

                continue;
            }

            if (record.Offset.Value < ends[record.TopicPartition])
            {
                next[record.TopicPartition] = record.Offset.Value + 1;
                await onRecord(record);
            }
        }
    }
}
