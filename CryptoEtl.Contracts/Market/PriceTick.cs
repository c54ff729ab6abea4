using Avro;
using Avro.Generic;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Contracts.Market;

/// <summary>A clean tick: one distinct (coin, event time), with fields derived from the coin's previous tick (PriceTick.avsc).</summary>
public sealed record PriceTick : IAvroContract<PriceTick>
{
    public required string CoinId { get; init; }
    public required string Symbol { get; init; }
    public required DateTimeOffset EventTime { get; init; }
    public required double Price { get; init; }
    public double? MarketCap { get; init; }
    public double? TotalVolume { get; init; }
    public int? MarketCapRank { get; init; }
    public double? PreviousPrice { get; init; }
    public double? Change { get; init; }
    public double? ChangePct { get; init; }
    public double? LogReturn { get; init; }
    public required string VsCurrency { get; init; }
    public required DataSource Source { get; init; }
    public required string RunId { get; init; }

    public static RecordSchema Schema => ContractSchemas.Load(nameof(PriceTick));

    public GenericRecord ToAvro()
    {
        var schema = Schema;
        var record = new GenericRecord(schema);
        record.Add("coin_id", CoinId);
        record.Add("symbol", Symbol);
        record.Add("event_time", EventTime.UtcDateTime);
        record.Add("price", Price);
        record.Add("market_cap", MarketCap);
        record.Add("total_volume", TotalVolume);
        record.Add("market_cap_rank", MarketCapRank);
        record.Add("previous_price", PreviousPrice);
        record.Add("change", Change);
        record.Add("change_pct", ChangePct);
        record.Add("log_return", LogReturn);
        record.Add("vs_currency", VsCurrency);
        record.Add("source", schema.ToAvroEnum("source", Source));
        record.Add("run_id", RunId);
        return record;
    }

    public static string? Violation(PriceTick value, DateTimeOffset now) => ValueContract.Check(now)
        .Id("coin_id", value.CoinId).Text("symbol", value.Symbol).Time("event_time", value.EventTime).Positive("price", value.Price)
        .NonNegative("market_cap", value.MarketCap).NonNegative("total_volume", value.TotalVolume).AtLeast("market_cap_rank", value.MarketCapRank, 1)
        .Positive("previous_price", value.PreviousPrice).Finite("change", value.Change).Finite("change_pct", value.ChangePct).Finite("log_return", value.LogReturn)
        .Text("vs_currency", value.VsCurrency).Text("run_id", value.RunId)
        .Problem;

    public static PriceTick FromAvro(GenericRecord record) => new()
    {
        CoinId = record.String("coin_id"),
        Symbol = record.String("symbol"),
        EventTime = record.Timestamp("event_time"),
        Price = record.Double("price"),
        MarketCap = record.NullableDouble("market_cap"),
        TotalVolume = record.NullableDouble("total_volume"),
        MarketCapRank = record.NullableInt("market_cap_rank"),
        PreviousPrice = record.NullableDouble("previous_price"),
        Change = record.NullableDouble("change"),
        ChangePct = record.NullableDouble("change_pct"),
        LogReturn = record.NullableDouble("log_return"),
        VsCurrency = record.String("vs_currency"),
        Source = record.Enum<DataSource>("source"),
        RunId = record.String("run_id"),
    };
}
