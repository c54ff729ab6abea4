using CryptoEtl.Contracts.Market;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>A deterministic stream of snapshots: 250 coins, each refreshed once a minute, prices on random walks.</summary>
internal static class SyntheticMarket
{
    public static IEnumerable<MarketSnapshot> Snapshots(int count, int coins = 250, int seed = 1)
    {
        var random = new Random(seed);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var prices = Enumerable.Range(0, coins).Select(_ => Math.Exp((random.NextDouble() * 12) - 4)).ToArray();
        for (var i = 0; i < count; i++)
        {
            var coin = i % coins;
            var minute = i / coins;
            prices[coin] *= Math.Exp((random.NextDouble() - 0.5) * 0.004);
            yield return new MarketSnapshot
            {
                Id = $"coin-{coin:000}",
                Symbol = $"c{coin}",
                Name = $"Coin {coin}",
                Image = "https://example.invalid/coin.png",
                CurrentPrice = prices[coin],
                MarketCap = prices[coin] * 1e7,
                MarketCapRank = coin + 1,
                FullyDilutedValuation = prices[coin] * 2e7,
                TotalVolume = 1e6 + coin,
                High24h = prices[coin] * 1.02,
                Low24h = prices[coin] * 0.98,
                PriceChange24h = 0.01,
                PriceChangePercentage24h = 0.5,
                MarketCapChange24h = 1000,
                MarketCapChangePercentage24h = 0.4,
                CirculatingSupply = 1e7,
                TotalSupply = 2e7,
                MaxSupply = coin % 2 == 0 ? 2.1e7 : null,
                Ath = prices[coin] * 3,
                AthChangePercentage = -60,
                AthDate = start.AddYears(-2),
                Atl = prices[coin] / 10,
                AtlChangePercentage = 900,
                AtlDate = start.AddYears(-6),
                LastUpdated = start.AddMinutes(minute).AddMilliseconds(coin * 97),
                PriceChangePercentage1hInCurrency = 0.1,
                PriceChangePercentage24hInCurrency = 0.5,
                PriceChangePercentage7dInCurrency = 2,
                RunId = $"bench-{minute}",
                Source = DataSource.Simulator,
                FetchedAt = start.AddMinutes(minute),
                VsCurrency = "usd",
            };
        }
    }

    /// <summary>
    /// The executor's transformation over the first <paramref name="count"/> snapshots, one batch per minute of market
    /// (250 snapshots): each batch's outputs, to read before the next batch reuses them.
    /// </summary>
    public static IEnumerable<TransformOutput> Transformed(int count)
    {
        var transform = new StreamTransform(new TransformOptions());
        var state = new PartitionState();
        var output = new TransformOutput();
        var index = 0;
        foreach (var snapshot in Snapshots(count))
        {
            transform.Process(state, snapshot, index++, output);
            if (index % 250 == 0 || index == count)
            {
                transform.CompleteBatch(output);
                yield return output;
                output.Clear();
            }
        }
    }
}
