using Avro;
using Avro.Generic;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Contracts.Market;

/// <summary>One coin from CoinGecko <c>GET /coins/markets</c> as received, plus ingestion metadata (MarketSnapshot.avsc).</summary>
public sealed record MarketSnapshot : IAvroContract<MarketSnapshot>
{
    public required string Id { get; init; }
    public required string Symbol { get; init; }
    public required string Name { get; init; }
    public string? Image { get; init; }
    public required double CurrentPrice { get; init; }
    public double? MarketCap { get; init; }
    public int? MarketCapRank { get; init; }
    public double? FullyDilutedValuation { get; init; }
    public double? TotalVolume { get; init; }
    public double? High24h { get; init; }
    public double? Low24h { get; init; }
    public double? PriceChange24h { get; init; }
    public double? PriceChangePercentage24h { get; init; }
    public double? MarketCapChange24h { get; init; }
    public double? MarketCapChangePercentage24h { get; init; }
    public double? CirculatingSupply { get; init; }
    public double? TotalSupply { get; init; }
    public double? MaxSupply { get; init; }
    public double? Ath { get; init; }
    public double? AthChangePercentage { get; init; }
    public DateTimeOffset? AthDate { get; init; }
    public double? Atl { get; init; }
    public double? AtlChangePercentage { get; init; }
    public DateTimeOffset? AtlDate { get; init; }
    public Roi? Roi { get; init; }

    /// <summary>When CoinGecko last refreshed the coin: the event time.</summary>
    public required DateTimeOffset LastUpdated { get; init; }
    public double? PriceChangePercentage1hInCurrency { get; init; }
    public double? PriceChangePercentage24hInCurrency { get; init; }
    public double? PriceChangePercentage7dInCurrency { get; init; }
    public required string RunId { get; init; }
    public required DataSource Source { get; init; }
    public required DateTimeOffset FetchedAt { get; init; }
    public required string VsCurrency { get; init; }

    public static RecordSchema Schema => ContractSchemas.Load(nameof(MarketSnapshot));

    public GenericRecord ToAvro()
    {
        var schema = Schema;
        var record = new GenericRecord(schema);
        record.Add("id", Id);
        record.Add("symbol", Symbol);
        record.Add("name", Name);
        record.Add("image", Image);
        record.Add("current_price", CurrentPrice);
        record.Add("market_cap", MarketCap);
        record.Add("market_cap_rank", MarketCapRank);
        record.Add("fully_diluted_valuation", FullyDilutedValuation);
        record.Add("total_volume", TotalVolume);
        record.Add("high_24h", High24h);
        record.Add("low_24h", Low24h);
        record.Add("price_change_24h", PriceChange24h);
        record.Add("price_change_percentage_24h", PriceChangePercentage24h);
        record.Add("market_cap_change_24h", MarketCapChange24h);
        record.Add("market_cap_change_percentage_24h", MarketCapChangePercentage24h);
        record.Add("circulating_supply", CirculatingSupply);
        record.Add("total_supply", TotalSupply);
        record.Add("max_supply", MaxSupply);
        record.Add("ath", Ath);
        record.Add("ath_change_percentage", AthChangePercentage);
        record.Add("ath_date", AthDate?.UtcDateTime);
        record.Add("atl", Atl);
        record.Add("atl_change_percentage", AtlChangePercentage);
        record.Add("atl_date", AtlDate?.UtcDateTime);
        record.Add("roi", Roi is null ? null : RoiToAvro(schema.NestedRecord("roi"), Roi));
        record.Add("last_updated", LastUpdated.UtcDateTime);
        record.Add("price_change_percentage_1h_in_currency", PriceChangePercentage1hInCurrency);
        record.Add("price_change_percentage_24h_in_currency", PriceChangePercentage24hInCurrency);
        record.Add("price_change_percentage_7d_in_currency", PriceChangePercentage7dInCurrency);
        record.Add("run_id", RunId);
        record.Add("source", schema.ToAvroEnum("source", Source));
        record.Add("fetched_at", FetchedAt.UtcDateTime);
        record.Add("vs_currency", VsCurrency);
        return record;
    }

    public static string? Violation(MarketSnapshot value, DateTimeOffset now) => ValueContract.Check(now)
        .Id("id", value.Id).Text("symbol", value.Symbol).Text("name", value.Name).Text("image", value.Image, required: false, max: ValueContract.MaxLongTextLength)
        .Positive("current_price", value.CurrentPrice)
        .NonNegative("market_cap", value.MarketCap).AtLeast("market_cap_rank", value.MarketCapRank, 1)
        .NonNegative("fully_diluted_valuation", value.FullyDilutedValuation).NonNegative("total_volume", value.TotalVolume)
        .NonNegative("high_24h", value.High24h).NonNegative("low_24h", value.Low24h)
        .Finite("price_change_24h", value.PriceChange24h).Finite("price_change_percentage_24h", value.PriceChangePercentage24h)
        .Finite("market_cap_change_24h", value.MarketCapChange24h).Finite("market_cap_change_percentage_24h", value.MarketCapChangePercentage24h)
        .NonNegative("circulating_supply", value.CirculatingSupply).NonNegative("total_supply", value.TotalSupply).NonNegative("max_supply", value.MaxSupply)
        .NonNegative("ath", value.Ath).Finite("ath_change_percentage", value.AthChangePercentage).Time("ath_date", value.AthDate)
        .NonNegative("atl", value.Atl).Finite("atl_change_percentage", value.AtlChangePercentage).Time("atl_date", value.AtlDate)
        .Finite("roi.times", value.Roi?.Times).Text("roi.currency", value.Roi?.Currency, required: false).Finite("roi.percentage", value.Roi?.Percentage)
        .Time("last_updated", value.LastUpdated)
        .Finite("price_change_percentage_1h_in_currency", value.PriceChangePercentage1hInCurrency)
        .Finite("price_change_percentage_24h_in_currency", value.PriceChangePercentage24hInCurrency)
        .Finite("price_change_percentage_7d_in_currency", value.PriceChangePercentage7dInCurrency)
        .Text("run_id", value.RunId).Time("fetched_at", value.FetchedAt).Text("vs_currency", value.VsCurrency)
        .Problem;

    public static MarketSnapshot FromAvro(GenericRecord record) => new()
    {
        Id = record.String("id"),
        Symbol = record.String("symbol"),
        Name = record.String("name"),
        Image = record.NullableString("image"),
        CurrentPrice = record.Double("current_price"),
        MarketCap = record.NullableDouble("market_cap"),
        MarketCapRank = record.NullableInt("market_cap_rank"),
        FullyDilutedValuation = record.NullableDouble("fully_diluted_valuation"),
        TotalVolume = record.NullableDouble("total_volume"),
        High24h = record.NullableDouble("high_24h"),
        Low24h = record.NullableDouble("low_24h"),
        PriceChange24h = record.NullableDouble("price_change_24h"),
        PriceChangePercentage24h = record.NullableDouble("price_change_percentage_24h"),
        MarketCapChange24h = record.NullableDouble("market_cap_change_24h"),
        MarketCapChangePercentage24h = record.NullableDouble("market_cap_change_percentage_24h"),
        CirculatingSupply = record.NullableDouble("circulating_supply"),
        TotalSupply = record.NullableDouble("total_supply"),
        MaxSupply = record.NullableDouble("max_supply"),
        Ath = record.NullableDouble("ath"),
        AthChangePercentage = record.NullableDouble("ath_change_percentage"),
        AthDate = record.NullableTimestamp("ath_date"),
        Atl = record.NullableDouble("atl"),
        AtlChangePercentage = record.NullableDouble("atl_change_percentage"),
        AtlDate = record.NullableTimestamp("atl_date"),
        Roi = record.NullableRecord("roi") is { } roi ? new Roi(roi.Double("times"), roi.String("currency"), roi.Double("percentage")) : null,
        LastUpdated = record.Timestamp("last_updated"),
        PriceChangePercentage1hInCurrency = record.NullableDouble("price_change_percentage_1h_in_currency"),
        PriceChangePercentage24hInCurrency = record.NullableDouble("price_change_percentage_24h_in_currency"),
        PriceChangePercentage7dInCurrency = record.NullableDouble("price_change_percentage_7d_in_currency"),
        RunId = record.String("run_id"),
        Source = record.Enum<DataSource>("source"),
        FetchedAt = record.Timestamp("fetched_at"),
        VsCurrency = record.String("vs_currency"),
    };

    private static GenericRecord RoiToAvro(RecordSchema schema, Roi roi)
    {
        var record = new GenericRecord(schema);
        record.Add("times", roi.Times);
        record.Add("currency", roi.Currency);
        record.Add("percentage", roi.Percentage);
        return record;
    }
}
