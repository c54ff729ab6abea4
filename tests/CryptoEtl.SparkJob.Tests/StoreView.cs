using CryptoEtl.Contracts.Market;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>
/// What a store keeps from a stream of outputs: ticks by (coin, time), candles by window with the highest version,
/// alerts by id. Two runs are equivalent when their store views are equal.
/// </summary>
internal sealed class StoreView
{
    public SortedDictionary<string, PriceTick> Ticks { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, Candle> Candles { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, MarketAlert> Alerts { get; } = new(StringComparer.Ordinal);

    public void Add(PriceTick tick) => Ticks[$"{tick.CoinId}|{tick.EventTime.ToUnixTimeMilliseconds()}"] = tick;

    public void Add(Candle candle)
    {
        if (!Candles.TryGetValue(candle.WindowId, out var stored) || candle.Version > stored.Version)
        {
            Candles[candle.WindowId] = candle;
        }
    }

    public void Add(MarketAlert alert) => Alerts[alert.AlertId] = alert;

    /// <summary>What a store keeps after both streams of outputs.</summary>
    public void Add(StoreView other)
    {
        foreach (var tick in other.Ticks.Values)
        {
            Add(tick);
        }

        foreach (var candle in other.Candles.Values)
        {
            Add(candle);
        }

        foreach (var alert in other.Alerts.Values)
        {
            Add(alert);
        }
    }

    public void AssertEqual(StoreView expected)
    {
        Assert.Equal(expected.Ticks.Count, Ticks.Count);
        Assert.Equal(expected.Ticks, Ticks);
        Assert.Equal(expected.Candles.Count, Candles.Count);
        Assert.Equal(expected.Candles, Candles);
        Assert.Equal(expected.Alerts, Alerts);
    }
}
