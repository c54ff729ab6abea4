using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;

namespace CryptoEtl.Contracts.Tests;

/// <summary>Instances of every contract with every field set (and with every optional field null).</summary>
internal static class ContractSamples
{
    private static readonly DateTimeOffset T0 = new(2024, 1, 1, 15, 12, 29, 21, TimeSpan.Zero);

    public static MarketSnapshot FullSnapshot() => new()
    {
        Id = "ethereum", Symbol = "eth", Name = "Ethereum", Image = "https://example.org/eth.png",
        CurrentPrice = 2301.14, MarketCap = 276572458394, MarketCapRank = 2, FullyDilutedValuation = 276572458394,
        TotalVolume = 8894579262, High24h = 2309.18, Low24h = 2269.76, PriceChange24h = -3.9636198555340343,
        PriceChangePercentage24h = -0.17195, MarketCapChange24h = -228094566.49066162, MarketCapChangePercentage24h = -0.0824,
        CirculatingSupply = 120183924.988634, TotalSupply = 120183924.988634, MaxSupply = 21000000, Ath = 4878.26,
        AthChangePercentage = -52.84105, AthDate = new DateTimeOffset(2021, 11, 10, 14, 24, 19, 604, TimeSpan.Zero), Atl = 0.432979,
        AtlChangePercentage = 531227.60555, AtlDate = new DateTimeOffset(2015, 10, 20, 0, 0, 0, TimeSpan.Zero),
        Roi = new Roi(71.15813436002082, "btc", 7115.813436002083), LastUpdated = T0,
        PriceChangePercentage1hInCurrency = 0.1, PriceChangePercentage24hInCurrency = -0.17, PriceChangePercentage7dInCurrency = 4.2,
        RunId = "run-1", Source = DataSource.Simulator, FetchedAt = T0.AddSeconds(3), VsCurrency = "usd",
    };

    public static MarketSnapshot MinimalSnapshot() => new()
    {
        Id = "tiny", Symbol = "tny", Name = "Tiny", CurrentPrice = 1e-9, LastUpdated = T0,
        RunId = "run-2", Source = DataSource.CoinGecko, FetchedAt = T0, VsCurrency = "eur",
    };

    public static PriceTick Tick() => new()
    {
        CoinId = "bitcoin", Symbol = "btc", EventTime = T0, Price = 42632, MarketCap = 835055181228, TotalVolume = 12859406774,
        MarketCapRank = 1, PreviousPrice = 42600, Change = 32, ChangePct = 0.0751, LogReturn = 0.000751, VsCurrency = "usd",
        Source = DataSource.CoinGecko, RunId = "run-3",
    };

    public static Candle Candle() => new()
    {
        CoinId = "bitcoin", Interval = "5m", WindowStart = T0, WindowEnd = T0.AddMinutes(5), Open = 1, High = 3, Low = 0.5, Close = 2,
        Volume24h = 10, TickCount = 4, FirstEventTime = T0.AddSeconds(1), LastEventTime = T0.AddSeconds(250), Version = 7, Final = true,
    };

    public static MarketAlert Alert() => new()
    {
        AlertId = MarketAlert.IdFor("solana", T0, AlertKind.WindowMove, "1m"), CoinId = "solana", Kind = AlertKind.WindowMove,
        EventTime = T0, Price = 104.6, Value = 6.2, Threshold = 5, Interval = "1m", WindowStart = T0.AddSeconds(-29),
        Message = "solana moved 6.2% inside the 1m window",
    };

    public static DeadLetter DeadLetter() => new()
    {
        Stage = "transform", Reason = DeadLetterReasons.Undecodable, Error = "bad bytes", SourceTopic = Topics.Snapshots,
        SourcePartition = 2, SourceOffset = 41, Key = "bitcoin"u8.ToArray(), Payload = [0, 1, 2, 255],
        Headers = [new DeadLetterHeader("run_id", "r"u8.ToArray()), new DeadLetterHeader("empty", null)], FailedAt = T0,
    };
}
