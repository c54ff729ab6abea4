using Avro;
using Avro.Generic;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Contracts.Market;

/// <summary>OHLC for one coin over one tumbling event-time window (Candle.avsc). A higher <see cref="Version"/> wins.</summary>
public sealed record Candle : IAvroContract<Candle>
{
    public required string CoinId { get; init; }

    /// <summary>The window length as written in configuration: 1m, 5m, 1h.</summary>
    public required string Interval { get; init; }
    public required DateTimeOffset WindowStart { get; init; }
    public required DateTimeOffset WindowEnd { get; init; }
    public required double Open { get; init; }
    public required double High { get; init; }
    public required double Low { get; init; }
    public required double Close { get; init; }
    public double? Volume24h { get; init; }
    public required int TickCount { get; init; }
    public required DateTimeOffset FirstEventTime { get; init; }
    public required DateTimeOffset LastEventTime { get; init; }
    public required long Version { get; init; }
    public required bool Final { get; init; }

    /// <summary>The deterministic identity of the window: coin, interval and window start.</summary>
    public string WindowId => $"{CoinId}|{Interval}|{WindowStart.ToUnixTimeMilliseconds()}";

    public static RecordSchema Schema => ContractSchemas.Load(nameof(Candle));

    public GenericRecord ToAvro()
    {
        var record = new GenericRecord(Schema);
        record.Add("coin_id", CoinId);
        record.Add("interval", Interval);
        record.Add("window_start", WindowStart.UtcDateTime);
        record.Add("window_end", WindowEnd.UtcDateTime);
        record.Add("open", Open);
        record.Add("high", High);
        record.Add("low", Low);
        record.Add("close", Close);
        record.Add("volume_24h", Volume24h);
        record.Add("tick_count", TickCount);
        record.Add("first_event_time", FirstEventTime.UtcDateTime);
        record.Add("last_event_time", LastEventTime.UtcDateTime);
        record.Add("version", Version);
        record.Add("final", Final);
        return record;
    }

    public static string? Violation(Candle value, DateTimeOffset now) => ValueContract.Check(now)
        .Id("coin_id", value.CoinId).Text("interval", value.Interval).Interval("interval", value.Interval)
        .Time("window_start", value.WindowStart).Holds("window_end", value.WindowEnd > value.WindowStart, "is not after window_start")
        .Positive("open", value.Open).Positive("high", value.High).Positive("low", value.Low).Positive("close", value.Close)
        .Holds("high", value.High >= Math.Max(value.Open, value.Close) && value.High >= value.Low, "is below open, close or low")
        .Holds("low", value.Low <= Math.Min(value.Open, value.Close), "is above open or close")
        .NonNegative("volume_24h", value.Volume24h).AtLeast("tick_count", value.TickCount, 1)
        .Time("first_event_time", value.FirstEventTime).Time("last_event_time", value.LastEventTime)
        .Holds("last_event_time", value.LastEventTime >= value.FirstEventTime, "is before first_event_time")
        .AtLeast("version", value.Version, 1)
        .Problem;

    public static Candle FromAvro(GenericRecord record) => new()
    {
        CoinId = record.String("coin_id"),
        Interval = record.String("interval"),
        WindowStart = record.Timestamp("window_start"),
        WindowEnd = record.Timestamp("window_end"),
        Open = record.Double("open"),
        High = record.Double("high"),
        Low = record.Double("low"),
        Close = record.Double("close"),
        Volume24h = record.NullableDouble("volume_24h"),
        TickCount = record.Int("tick_count"),
        FirstEventTime = record.Timestamp("first_event_time"),
        LastEventTime = record.Timestamp("last_event_time"),
        Version = record.Long("version"),
        Final = record.Bool("final"),
    };
}
