using Confluent.Kafka;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Bench.Transform;

/// <summary>
/// Whether Streamiz made the executor's candles: the newest state of each window Streamiz wrote (what the broker still
/// holds of its candles topic) against the executor's transformation run over the same snapshots, open, high, low and
/// close compared per coin, interval and window.
/// </summary>
internal static class StreamizCheck
{
    public static string Compare(BenchEnvironment environment, int records)
    {
        var expected = new Dictionary<(string, string, long), Candle>();
        foreach (var candle in SyntheticMarket.Transformed(records).SelectMany(o => o.Candles))
        {
            expected[(candle.CoinId, candle.Interval, candle.WindowStart.ToUnixTimeMilliseconds())] = candle;
        }

        var decoder = new ContractDecoder<Candle>(environment.Registry);
        var written = new Dictionary<(string, string, long), Candle>();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(environment.ConsumerConfig($"bench-check-{Guid.NewGuid():N}")).Build();
        consumer.Subscribe(StreamizPeer.CandlesTopic);
        var idle = 0;
        while (idle < 3)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { IsPartitionEOF: false } record)
            {
                idle++;
                continue;
            }

            idle = 0;
            if (decoder.DecodeAsync(record.Message.Value, StreamizPeer.CandlesTopic).GetAwaiter().GetResult() is { Success: true } decoded)
            {
                var candle = decoded.Value!;
                var key = (candle.CoinId, candle.Interval, candle.WindowStart.ToUnixTimeMilliseconds());
                if (!written.TryGetValue(key, out var seen) || seen.TickCount < candle.TickCount)
                {
                    written[key] = candle;
                }
            }
        }

        consumer.Close();
        var compared = written.Where(w => expected.TryGetValue(w.Key, out var e) && e.TickCount == w.Value.TickCount).ToList();
        var differ = compared.Count(w => expected[w.Key] is var e && (e.Open, e.High, e.Low, e.Close) != (w.Value.Open, w.Value.High, w.Value.Low, w.Value.Close));
        return $"{compared.Count:N0} complete windows compared (of {written.Count:N0} Streamiz still has in Kafka), {differ:N0} differ in open, high, low or close";
    }
}
