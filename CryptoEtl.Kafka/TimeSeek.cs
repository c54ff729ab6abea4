using Confluent.Kafka;

namespace CryptoEtl.Kafka;

/// <summary>Where partitions' records reach a moment: for seeking a browser or resetting a group to a time.</summary>
public static class TimeSeek
{
    /// <summary>
    /// For each partition, the first offset whose record's timestamp is at or after <paramref name="time"/>, or the
    /// partition's end when none is. The broker's time index answers (ListOffsets, as <c>kafka-consumer-groups
    /// --to-datetime</c> asks it). A broker that says "none" although a partition's last record is that new has no time
    /// index (librdkafka's embedded broker answers -1 to every time): then those partitions are searched by halving,
    /// all at once, one record read from each per step, which assumes timestamps grow with offsets, as the broker's own
    /// index does.
    /// </summary>
    public static Dictionary<TopicPartition, long> OffsetsAt<TKey, TValue>(this IConsumer<TKey, TValue> consumer, IReadOnlyCollection<TopicPartition> partitions,
        DateTimeOffset time, TimeSpan timeout)
    {
        var found = new Dictionary<TopicPartition, long>();
        if (partitions.Count == 0)
        {
            return found;
        }

        var answers = consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp(time))), timeout)
            .ToDictionary(a => a.TopicPartition, a => a.Offset);
        var searched = new Dictionary<TopicPartition, (long First, long Last)>(); // the answer is in [First, Last]
        foreach (var partition in partitions)
        {
            if (answers.TryGetValue(partition, out var answer) && !answer.IsSpecial)
            {
                found[partition] = answer.Value;
                continue;
            }

            var watermarks = consumer.QueryWatermarkOffsets(partition, timeout);
            if (watermarks.Low.Value >= watermarks.High.Value)
            {
                found[partition] = watermarks.High.Value;
            }
            else
            {
                searched[partition] = (watermarks.Low.Value, watermarks.High.Value - 1);
            }
        }

        var newest = TimestampsAt(consumer, searched.ToDictionary(s => s.Key, s => s.Value.Last), timeout);
        foreach (var (partition, (_, last)) in searched.ToList())
        {
            if (!newest.TryGetValue(partition, out var at) || at < time)
            {
                found[partition] = last + 1; // truly none: the end
                searched.Remove(partition);
            }
        }

        while (searched.Count > 0)
        {
            var middles = searched.ToDictionary(s => s.Key, s => s.Value.First + ((s.Value.Last - s.Value.First) / 2));
            var seen = TimestampsAt(consumer, middles, timeout);
            foreach (var (partition, middle) in middles)
            {
                var (first, last) = searched[partition];
                (first, last) = seen.TryGetValue(partition, out var at) && at >= time ? (first, middle) : (middle + 1, last);
                if (first >= last)
                {
                    found[partition] = first;
                    searched.Remove(partition);
                }
                else
                {
                    searched[partition] = (first, last);
                }
            }
        }

        return found;
    }

    /// <summary>The timestamp of the first record at or after each offset (missing when none comes in time).</summary>
    private static Dictionary<TopicPartition, DateTimeOffset> TimestampsAt<TKey, TValue>(IConsumer<TKey, TValue> consumer, Dictionary<TopicPartition, long> offsets, TimeSpan timeout)
    {
        var seen = new Dictionary<TopicPartition, DateTimeOffset>();
        if (offsets.Count == 0)
        {
            return seen;
        }

        consumer.Assign(offsets.Select(o => new TopicPartitionOffset(o.Key, o.Value)));
        var deadline = DateTime.UtcNow + timeout;
        while (seen.Count < offsets.Count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record && offsets.TryGetValue(record.TopicPartition, out var offset)
                && record.Offset.Value >= offset)
            {
                seen.TryAdd(record.TopicPartition, record.Message.Timestamp.UtcDateTime);
            }
        }

        return seen;
    }
}
