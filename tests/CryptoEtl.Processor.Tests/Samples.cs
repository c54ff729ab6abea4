using CryptoEtl.Contracts.Market;

namespace CryptoEtl.Processor.Tests;

internal static class Samples
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    public static PriceTick Tick(string coin, int minute, double price, double? marketCap = null) => new()
    {
        CoinId = coin, Symbol = coin[..3], EventTime = T0.AddMinutes(minute), Price = price, MarketCap = marketCap ?? price * 1000,
        TotalVolume = 5e5, MarketCapRank = null, PreviousPrice = minute == 0 ? null : price - 1, Change = minute == 0 ? null : 1,
        ChangePct = minute == 0 ? null : 1.0 / (price - 1) * 100, LogReturn = minute == 0 ? null : Math.Log(price / (price - 1)),
        VsCurrency = "usd", Source = DataSource.Simulator, RunId = "r",
    };

    public static Candle Candle(string coin, int windowMinute, long version, double close, bool final = false, string interval = "1m") => new()
    {
        CoinId = coin, Interval = interval, WindowStart = T0.AddMinutes(windowMinute), WindowEnd = T0.AddMinutes(windowMinute + 1),
        Open = 100, High = Math.Max(100, close), Low = Math.Min(100, close), Close = close, Volume24h = null, TickCount = (int)version,
        FirstEventTime = T0.AddMinutes(windowMinute), LastEventTime = T0.AddMinutes(windowMinute).AddSeconds(version), Version = version, Final = final,
    };

    public static MarketAlert Alert(string coin, int minute) => new()
    {
        AlertId = MarketAlert.IdFor(coin, T0.AddMinutes(minute), AlertKind.ZScore), CoinId = coin, Kind = AlertKind.ZScore,
        EventTime = T0.AddMinutes(minute), Price = 1, Value = 5.5, Threshold = 4, Message = $"{coin} jumped, price $1",
    };
}
