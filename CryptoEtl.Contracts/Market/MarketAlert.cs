using Avro;
using Avro.Generic;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Contracts.Market;

/// <summary>An anomaly in one coin's prices (MarketAlert.avsc). Its id depends only on coin, event time and kind.</summary>
public sealed record MarketAlert : IAvroContract<MarketAlert>
{
    public required string AlertId { get; init; }
    public required string CoinId { get; init; }
    public required AlertKind Kind { get; init; }
    public required DateTimeOffset EventTime { get; init; }
    public required double Price { get; init; }

    /// <summary>The z-score, or the move inside the window in percent.</summary>
    public required double Value { get; init; }
    public required double Threshold { get; init; }
    public string? Interval { get; init; }
    public DateTimeOffset? WindowStart { get; init; }
    public required string Message { get; init; }

    public static RecordSchema Schema => ContractSchemas.Load(nameof(MarketAlert));

    public static string IdFor(string coinId, DateTimeOffset eventTime, AlertKind kind, string? interval = null) =>
        interval is null
            ? $"{coinId}|{eventTime.ToUnixTimeMilliseconds()}|{kind}"
            : $"{coinId}|{eventTime.ToUnixTimeMilliseconds()}|{kind}|{interval}";

    public GenericRecord ToAvro()
    {
        var schema = Schema;
        var record = new GenericRecord(schema);
        record.Add("alert_id", AlertId);
        record.Add("coin_id", CoinId);
        record.Add("kind", schema.ToAvroEnum("kind", Kind));
        record.Add("event_time", EventTime.UtcDateTime);
        record.Add("price", Price);
        record.Add("value", Value);
        record.Add("threshold", Threshold);
        record.Add("interval", Interval);
        record.Add("window_start", WindowStart?.UtcDateTime);
        record.Add("message", Message);
        return record;
    }

    public static string? Violation(MarketAlert value, DateTimeOffset now) => ValueContract.Check(now)
        .Text("alert_id", value.AlertId, max: ValueContract.MaxTextLength).Id("coin_id", value.CoinId)
        .Holds("kind", Enum.IsDefined(value.Kind), $"{value.Kind} is not an alert kind").Time("event_time", value.EventTime)
        .Positive("price", value.Price).Finite("value", value.Value).Finite("threshold", value.Threshold)
        .Interval("interval", value.Interval).Time("window_start", value.WindowStart)
        .Text("message", value.Message, max: ValueContract.MaxLongTextLength)
        .Problem;

    public static MarketAlert FromAvro(GenericRecord record) => new()
    {
        AlertId = record.String("alert_id"),
        CoinId = record.String("coin_id"),
        Kind = record.Enum<AlertKind>("kind"),
        EventTime = record.Timestamp("event_time"),
        Price = record.Double("price"),
        Value = record.Double("value"),
        Threshold = record.Double("threshold"),
        Interval = record.NullableString("interval"),
        WindowStart = record.NullableTimestamp("window_start"),
        Message = record.String("message"),
    };
}
