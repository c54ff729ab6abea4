using Confluent.Kafka;

namespace CryptoEtl.Kafka;

/// <summary>Where a partition's records reach a moment: for seeking a browser or resetting a group to a time.</summary>
public static class TimeSeek
{
    /// <summary>
    /// The first offset of <paramref name="partition"/> whose record's timestamp is at or after <paramref name="time"/>,
    /// or the partition's end when none is. The broker's time index answers (ListOffsets, as <c>kafka-consumer-groups
    /// --to-datetime</c> asks it). A broker that says "none" although the partition's last record is that new has no
    /// time index (librdkafka's embedded broker answers -1 to every time): then the partition is searched by halving,
    /// one record read per step, which assumes timestamps grow with offsets, as the broker's own index does.
    /// </summary>
    public static long OffsetAt<TKey, TValue>(this IConsumer<TKey, TValue> consumer, TopicPartition partition, DateTimeOffset time, TimeSpan timeout)
    {
        var (low, high) = consumer.QueryWatermarkOffsets(partition, timeout) is var w ? (w.Low.Value, w.High.Value) : default;
        if (low >= high)
        {
            return high;
        }

        var answer = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(time))], timeout).Single().Offset;
        if (!answer.IsSpecial)
        {
            return answer.Value;
        }

        if (TimestampAt(consumer, partition, high - 1, timeout) is not { } newest || newest < time)
        {
            return high;
        }

        var (first, last) = (low, high - 1); // the answer is in [first, last]: the record at last is new enough
        while (first < last)
        {
            var middle = first + ((last - first) / 2);
            if (TimestampAt(consumer, partition, middle, timeout) is { } at && at >= time)
            {
                last = middle;
            }
            else
            {
                first = middle + 1;
            }
        }

        return first;
    }

    /// <summary>The timestamp of the first record at or after <paramref name="offset"/> (null when none comes in time).</summary>
    private static DateTimeOffset? TimestampAt<TKey, TValue>(IConsumer<TKey, TValue> consumer, TopicPartition partition, long offset, TimeSpan timeout)
    {
        consumer.Assign(new TopicPartitionOffset(partition, offset));
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record && record.TopicPartition == partition)
            {
                return record.Message.Timestamp.UtcDateTime;
            }
        }

        return null;
    }
}
