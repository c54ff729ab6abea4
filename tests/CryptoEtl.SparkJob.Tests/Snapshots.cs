using CryptoEtl.Contracts.Market;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>Hand-made snapshots for transformation tests.</summary>
internal static class Snapshots
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    public static MarketSnapshot At(string coin, double seconds, double price, double? volume = null) => new()
    {
        Id = coin,
        Symbol = coin[..Math.Min(3, coin.Length)],
        Name = coin,
        CurrentPrice = price,
        TotalVolume = volume,
        LastUpdated = T0.AddMilliseconds(seconds * 1000),
        RunId = "test",
        Source = DataSource.Simulator,
        FetchedAt = T0,
        VsCurrency = "usd",
    };

    /// <summary>A deterministic market: <paramref name="coins"/> coins, one snapshot per coin every minute, random-walk prices.</summary>
    public static List<MarketSnapshot> Market(int coins, int minutes, int seed = 7)
    {
        var random = new Random(seed);
        var prices = Enumerable.Range(0, coins).Select(_ => 10 + (random.NextDouble() * 1000)).ToArray();
        var result = new List<MarketSnapshot>();
        for (var minute = 0; minute < minutes; minute++)
        {
            for (var coin = 0; coin < coins; coin++)
            {
                // Occasional jumps make alerts.
                var shock = (random.NextDouble() - 0.5) * 0.004 + (random.NextDouble() < 0.01 ? 0.08 : 0);
                prices[coin] *= Math.Exp(shock);
                result.Add(At($"coin-{coin:000}", (minute * 60) + (coin % 40), Math.Round(prices[coin], 6), 1e6 + minute));
            }
        }

        return result;
    }
}
