using CryptoEtl.Contracts.Market;

namespace CryptoEtl.Processor.Storage;

/// <summary>
/// Contracts to documents and back, with deterministic ids so a replay or a redelivery overwrites instead of duplicating:
/// ticks by coin and event time, candles by coin, interval and window start, latest by coin, alerts by alert id.
/// </summary>
public static class StoreDocuments
{
    public static string TickId(string coin, DateTimeOffset eventTime) => $"{coin}|{eventTime.ToUnixTimeMilliseconds()}";

    /// <summary>
    /// A string whose ordinal order is the order /api/coins pages in: market cap descending (as the complement of the
    /// double's bits, which order like the value for caps, never negative), coins without one last, then coin id. A page
    /// is then one index range in either store, "after the last key of the previous page", however many coins tie.
    /// </summary>
    public static string CoinPageKey(PriceTick quote) => quote.MarketCap is { } cap
        ? $"0{ulong.MaxValue - BitConverter.DoubleToUInt64Bits(Math.Max(cap, 0)):x16}|{quote.CoinId}"
        : $"1|{quote.CoinId}";

    public static StoreDocument Tick(PriceTick t) => new(TickId(t.CoinId, t.EventTime), TickFields(t));

    /// <summary>The coin's newest tick, with its <see cref="CoinPageKey"/>; replaced only by a newer event time.</summary>
    public static StoreDocument Latest(PriceTick t) => new(t.CoinId, [.. TickFields(t), new(CoinPageKeyField, CoinPageKey(t))]);

    /// <summary>The latest quotes' field that orders them for paging, indexed in both stores.</summary>
    public const string CoinPageKeyField = "page_key";

    public static StoreDocument Candle(Candle c) => new(c.WindowId,
    [
        new("coin_id", c.CoinId),
        new("interval", c.Interval),
        new("window_start", c.WindowStart.UtcDateTime),
        new("window_end", c.WindowEnd.UtcDateTime),
        new("open", c.Open),
        new("high", c.High),
        new("low", c.Low),
        new("close", c.Close),
        new("volume_24h", c.Volume24h),
        new("tick_count", c.TickCount),
        new("first_event_time", c.FirstEventTime.UtcDateTime),
        new("last_event_time", c.LastEventTime.UtcDateTime),
        new("version", c.Version),
        new("final", c.Final),
    ]);

    public static StoreDocument Alert(MarketAlert a) => new(a.AlertId,
    [
        new("coin_id", a.CoinId),
        new("kind", a.Kind == AlertKind.ZScore ? "zscore" : "window_move"),
        new("event_time", a.EventTime.UtcDateTime),
        new("price", a.Price),
        new("value", a.Value),
        new("threshold", a.Threshold),
        new("interval", a.Interval),
        new("window_start", a.WindowStart?.UtcDateTime),
        new("message", a.Message),
    ]);

    public static PriceTick ToTick(IReadOnlyDictionary<string, object?> d) => new()
    {
        CoinId = (string)d["coin_id"]!,
        Symbol = (string)d["symbol"]!,
        EventTime = Time(d["event_time"]),
        Price = Convert.ToDouble(d["price"], System.Globalization.CultureInfo.InvariantCulture),
        MarketCap = NullableDouble(d, "market_cap"),
        TotalVolume = NullableDouble(d, "total_volume"),
        MarketCapRank = d.GetValueOrDefault("market_cap_rank") is { } rank ? Convert.ToInt32(rank, System.Globalization.CultureInfo.InvariantCulture) : null,
        PreviousPrice = NullableDouble(d, "previous_price"),
        Change = NullableDouble(d, "change"),
        ChangePct = NullableDouble(d, "change_pct"),
        LogReturn = NullableDouble(d, "log_return"),
        VsCurrency = (string)d["vs_currency"]!,
        Source = (string?)d["source"] == "simulator" ? DataSource.Simulator : DataSource.CoinGecko,
        RunId = (string)d["run_id"]!,
    };

    public static Candle ToCandle(IReadOnlyDictionary<string, object?> d) => new()
    {
        CoinId = (string)d["coin_id"]!,
        Interval = (string)d["interval"]!,
        WindowStart = Time(d["window_start"]),
        WindowEnd = Time(d["window_end"]),
        Open = (double)d["open"]!,
        High = (double)d["high"]!,
        Low = (double)d["low"]!,
        Close = (double)d["close"]!,
        Volume24h = NullableDouble(d, "volume_24h"),
        TickCount = Convert.ToInt32(d["tick_count"], System.Globalization.CultureInfo.InvariantCulture),
        FirstEventTime = Time(d["first_event_time"]),
        LastEventTime = Time(d["last_event_time"]),
        Version = Convert.ToInt64(d["version"], System.Globalization.CultureInfo.InvariantCulture),
        Final = (bool)d["final"]!,
    };

    public static MarketAlert ToAlert(string id, IReadOnlyDictionary<string, object?> d) => new()
    {
        AlertId = id,
        CoinId = (string)d["coin_id"]!,
        Kind = (string?)d["kind"] == "zscore" ? AlertKind.ZScore : AlertKind.WindowMove,
        EventTime = Time(d["event_time"]),
        Price = (double)d["price"]!,
        Value = (double)d["value"]!,
        Threshold = (double)d["threshold"]!,
        Interval = (string?)d.GetValueOrDefault("interval"),
        WindowStart = d.GetValueOrDefault("window_start") is { } start ? Time(start) : null,
        Message = (string)d["message"]!,
    };

    private static List<KeyValuePair<string, object?>> TickFields(PriceTick t) =>
    [
        new("coin_id", t.CoinId),
        new("symbol", t.Symbol),
        new("event_time", t.EventTime.UtcDateTime),
        new("price", t.Price),
        new("market_cap", t.MarketCap),
        new("total_volume", t.TotalVolume),
        new("market_cap_rank", t.MarketCapRank),
        new("previous_price", t.PreviousPrice),
        new("change", t.Change),
        new("change_pct", t.ChangePct),
        new("log_return", t.LogReturn),
        new("vs_currency", t.VsCurrency),
        new("source", t.Source == DataSource.Simulator ? "simulator" : "coingecko"),
        new("run_id", t.RunId),
    ];

    private static DateTimeOffset Time(object? value) => value switch
    {
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        DateTimeOffset offset => offset,
        _ => throw new InvalidDataException($"Expected a timestamp, found {value?.GetType().Name ?? "null"}."),
    };

    private static double? NullableDouble(IReadOnlyDictionary<string, object?> d, string name) =>
        d.GetValueOrDefault(name) is { } value ? Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) : null;
}
