using System.Diagnostics;
using Confluent.Kafka;

namespace CryptoEtl.Kafka.Stages;

/// <summary>How a consumer stage reads its input: in batches closed by size or by time, whichever comes first.</summary>
public static class ConsumerBatches
{
    /// <summary>
    /// How long a batch that has records waits for more: once nothing has arrived for this long, the stage has read
    /// what there is and the batch closes, so records do not wait out the rest of the interval (Spark's default trigger
    /// does the same: the next micro-batch starts as soon as the previous one ends).
    /// </summary>
    public static readonly TimeSpan DrainedAfter = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Fills <paramref name="batch"/> with up to <paramref name="maxSize"/> records: it waits up to
    /// <paramref name="interval"/> for the first, then takes what arrives until <paramref name="interval"/> has passed
    /// since the read began or nothing has arrived for <see cref="DrainedAfter"/>. End-of-partition events and records
    /// <paramref name="keep"/> refuses are skipped. The list is the caller's, so a rebalance handler running inside
    /// <c>Consume</c> can remove a revoked partition's records. Batches close on the wall clock (not on the stage's
    /// <see cref="TimeProvider"/>, which tests may freeze).
    /// </summary>
    public static void Collect<TKey, TValue>(this IConsumer<TKey, TValue> consumer, List<ConsumeResult<TKey, TValue>> batch, int maxSize,
        TimeSpan interval, CancellationToken cancellation, Func<ConsumeResult<TKey, TValue>, bool>? keep = null)
    {
        batch.Clear();
        var started = Stopwatch.GetTimestamp();
        while (batch.Count < maxSize && !cancellation.IsCancellationRequested)
        {
            var remaining = interval - Stopwatch.GetElapsedTime(started);
            if (batch.Count > 0 && remaining <= TimeSpan.Zero)
            {
                return;
            }

            // Consume returns null only once its timeout has passed without a record: the batch is as full as it gets.
            if (consumer.Consume(batch.Count == 0 ? interval : TimeSpan.FromTicks(Math.Min(remaining.Ticks, DrainedAfter.Ticks))) is not { } result)
            {
                return;
            }

            if (!result.IsPartitionEOF && (keep is null || keep(result)))
            {
                batch.Add(result);
            }
        }
    }
}
