using CryptoEtl.Contracts.Market;

namespace CryptoEtl.Processor.Api;

/// <summary>A coin's latest quote as the read API shows it, with its share of the stored coins' total market cap.</summary>
public sealed record CoinView(
    string Id,
    string Symbol,
    double Price,
    string VsCurrency,
    double? MarketCap,
    int? MarketCapRank,
    double? TotalVolume,
    double? ChangePct,
    double? MarketCapSharePercent,
    DateTimeOffset EventTime,
    string Source)
{
    public static CoinView Of(PriceTick tick, double? totalMarketCap) => new(
        tick.CoinId, tick.Symbol, tick.Price, tick.VsCurrency, tick.MarketCap, tick.MarketCapRank, tick.TotalVolume, tick.ChangePct,
        tick.MarketCap is { } cap && totalMarketCap is > 0 ? 100 * cap / totalMarketCap : null,
        tick.EventTime, tick.Source == DataSource.Simulator ? "simulator" : "coingecko");
}

public sealed record CandleView(string CoinId, string Interval, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, double Open, double High,
    double Low, double Close, double? Volume24h, int TickCount, long Version, bool Final)
{
    public static CandleView Of(Candle c) => new(c.CoinId, c.Interval, c.WindowStart, c.WindowEnd, c.Open, c.High, c.Low, c.Close, c.Volume24h, c.TickCount, c.Version, c.Final);
}

public sealed record AlertView(string Id, string CoinId, string Kind, DateTimeOffset EventTime, double Price, double Value, double Threshold, string? Interval, string Message)
{
    public static AlertView Of(MarketAlert a) => new(a.AlertId, a.CoinId, a.Kind == AlertKind.ZScore ? "zscore" : "window_move", a.EventTime, a.Price, a.Value, a.Threshold, a.Interval, a.Message);
}
