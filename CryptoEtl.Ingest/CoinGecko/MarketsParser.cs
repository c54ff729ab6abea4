using System.Globalization;
using System.Text.Json;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;

namespace CryptoEtl.Ingest.CoinGecko;

/// <summary>
/// Turns one <c>/coins/markets</c> response into snapshots. Survives what real responses hold (integers where decimals
/// are expected, exponent notation, nulls, missing and unknown fields); rejects, with a reason, the coins that cannot
/// be trusted (no id, a price that is not a positive finite number, an unparseable last_updated, a field of the wrong type,
/// any other value the contract rules out: <see cref="ValueContract"/>, checked against the time of the fetch).
/// A body that is not a JSON array (garbage, an error object) fails the whole call.
/// </summary>
public static class MarketsParser
{
    /// <summary>ISO-8601 as CoinGecko writes it (2024-01-01T15:12:29.021Z), with or without fraction, zone or time.</summary>
    private static readonly string[] Iso8601 =
        ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"];

    /// <param name="maxCoins">Parse only the first coins of the page (the run's top N may end inside it).</param>
    public static ParsedPage Parse(ReadOnlySpan<byte> body, IngestContext context, int maxCoins = int.MaxValue)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            throw new CoinGeckoResponseException($"The /coins/markets body is not JSON ({e.Message}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new CoinGeckoResponseException(
                    $"The /coins/markets body is a JSON {document.RootElement.ValueKind}, not an array: {CoinGeckoErrorBody.Describe(document.RootElement)}");
            }

            var page = new ParsedPage();
            foreach (var coin in document.RootElement.EnumerateArray().Take(maxCoins))
            {
                try
                {
                    var snapshot = ParseCoin(coin, context);
                    if (MarketSnapshot.Violation(snapshot, context.FetchedAt) is { } violation)
                    {
                        throw new RejectedCoinException(DeadLetterReasons.ContractViolation, $"Coin '{snapshot.Id}' breaks the snapshot contract: {violation}.");
                    }

                    page.Snapshots.Add(snapshot);
                }
                catch (RejectedCoinException e)
                {
                    page.Rejected.Add(new RejectedCoin(e.Reason, e.Message, coin.GetRawText(), IdOf(coin)));
                }
            }

            return page;
        }
    }

    private static MarketSnapshot ParseCoin(JsonElement coin, IngestContext context)
    {
        if (coin.ValueKind != JsonValueKind.Object)
        {
            throw new RejectedCoinException(DeadLetterReasons.InvalidField, $"A coin must be a JSON object, not {coin.ValueKind}.");
        }

        var id = IdOf(coin) ?? throw new RejectedCoinException(DeadLetterReasons.MissingId, "The coin has no id.");
        var price = OptionalNumber(coin, "current_price");
        if (price is not > 0)
        {
            throw new RejectedCoinException(DeadLetterReasons.InvalidPrice,
                $"Coin '{id}' has current_price {(price is null ? "null" : price.Value.ToString(CultureInfo.InvariantCulture))}; it must be a positive number.");
        }

        var lastUpdated = OptionalTimestamp(coin, "last_updated")
            ?? throw new RejectedCoinException(DeadLetterReasons.InvalidTimestamp, $"Coin '{id}' has no last_updated.");

        return new MarketSnapshot
        {
            Id = id,
            Symbol = RequiredString(coin, "symbol", id),
            Name = RequiredString(coin, "name", id),
            Image = OptionalString(coin, "image"),
            CurrentPrice = price.Value,
            MarketCap = OptionalNumber(coin, "market_cap"),
            MarketCapRank = OptionalInt(coin, "market_cap_rank"),
            FullyDilutedValuation = OptionalNumber(coin, "fully_diluted_valuation"),
            TotalVolume = OptionalNumber(coin, "total_volume"),
            High24h = OptionalNumber(coin, "high_24h"),
            Low24h = OptionalNumber(coin, "low_24h"),
            PriceChange24h = OptionalNumber(coin, "price_change_24h"),
            PriceChangePercentage24h = OptionalNumber(coin, "price_change_percentage_24h"),
            MarketCapChange24h = OptionalNumber(coin, "market_cap_change_24h"),
            MarketCapChangePercentage24h = OptionalNumber(coin, "market_cap_change_percentage_24h"),
            CirculatingSupply = OptionalNumber(coin, "circulating_supply"),
            TotalSupply = OptionalNumber(coin, "total_supply"),
            MaxSupply = OptionalNumber(coin, "max_supply"),
            Ath = OptionalNumber(coin, "ath"),
            AthChangePercentage = OptionalNumber(coin, "ath_change_percentage"),
            AthDate = OptionalTimestamp(coin, "ath_date"),
            Atl = OptionalNumber(coin, "atl"),
            AtlChangePercentage = OptionalNumber(coin, "atl_change_percentage"),
            AtlDate = OptionalTimestamp(coin, "atl_date"),
            Roi = OptionalRoi(coin),
            LastUpdated = lastUpdated,
            PriceChangePercentage1hInCurrency = OptionalNumber(coin, "price_change_percentage_1h_in_currency"),
            PriceChangePercentage24hInCurrency = OptionalNumber(coin, "price_change_percentage_24h_in_currency"),
            PriceChangePercentage7dInCurrency = OptionalNumber(coin, "price_change_percentage_7d_in_currency"),
            RunId = context.RunId,
            Source = context.Source,
            FetchedAt = context.FetchedAt,
            VsCurrency = context.VsCurrency,
        };
    }

    private static string? IdOf(JsonElement coin) =>
        coin.ValueKind == JsonValueKind.Object && coin.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            && id.GetString() is { Length: > 0 } text && !string.IsNullOrWhiteSpace(text)
            ? text
            : null;

    private static string RequiredString(JsonElement coin, string name, string id) =>
        OptionalString(coin, name) ?? throw new RejectedCoinException(DeadLetterReasons.InvalidField, $"Coin '{id}' has no {name}.");

    private static string? OptionalString(JsonElement coin, string name) =>
        Field(coin, name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } value => value.GetString(),
            { } value => throw Invalid(coin, name, value, "a string"),
        };

    /// <summary>A JSON number (integer, decimal or exponent form) or a numeric string; never NaN or infinity.</summary>
    private static double? OptionalNumber(JsonElement coin, string name)
    {
        if (Field(coin, name) is not { } value)
        {
            return null;
        }

        var parsed = value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetDouble(out var number) => number,
            JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => number,
            _ => throw Invalid(coin, name, value, "a number"),
        };

        return double.IsFinite(parsed) ? parsed : throw Invalid(coin, name, value, "a finite number");
    }

    private static int? OptionalInt(JsonElement coin, string name) =>
        OptionalNumber(coin, name) is { } number
            ? number == Math.Floor(number) && number is >= int.MinValue and <= int.MaxValue ? (int)number : throw Invalid(coin, name, Field(coin, name)!.Value, "an integer")
            : null;

    private static DateTimeOffset? OptionalTimestamp(JsonElement coin, string name)
    {
        if (Field(coin, name) is not { } value)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParseExact(value.GetString(), Iso8601, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp)
            ? timestamp
            : name == "last_updated"
                ? throw new RejectedCoinException(DeadLetterReasons.InvalidTimestamp, $"Coin '{IdOf(coin)}' has an unparseable last_updated: {value.GetRawText()}.")
                : throw Invalid(coin, name, value, "an ISO-8601 timestamp");
    }

    /// <summary>roi is null or {times, currency, percentage}; an object missing one of them is treated as unknown.</summary>
    private static Roi? OptionalRoi(JsonElement coin)
    {
        if (Field(coin, "roi") is not { } roi)
        {
            return null;
        }

        if (roi.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(coin, "roi", roi, "an object");
        }

        var times = OptionalNumber(roi, "times");
        var currency = OptionalString(roi, "currency");
        var percentage = OptionalNumber(roi, "percentage");
        return times is { } t && currency is { } c && percentage is { } p ? new Roi(t, c, p) : null;
    }

    /// <summary>The field's value, or null when it is missing or JSON null.</summary>
    private static JsonElement? Field(JsonElement coin, string name) =>
        coin.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static RejectedCoinException Invalid(JsonElement coin, string name, JsonElement value, string expected)
    {
        var shown = value.GetRawText();
        return new RejectedCoinException(DeadLetterReasons.InvalidField,
            $"Coin '{IdOf(coin) ?? "?"}' has {name} = {(shown.Length > 80 ? shown[..80] + "..." : shown)}; expected {expected}.");
    }

    private sealed class RejectedCoinException(string reason, string message) : Exception(message)
    {
        public string Reason { get; } = reason;
    }
}

/// <summary>What every snapshot of a run shares.</summary>
public sealed record IngestContext(string RunId, DataSource Source, DateTimeOffset FetchedAt, string VsCurrency);

public sealed class ParsedPage
{
    public List<MarketSnapshot> Snapshots { get; } = [];

    public List<RejectedCoin> Rejected { get; } = [];

    public int Count => Snapshots.Count + Rejected.Count;
}

/// <summary>A coin that failed validation, with the coin's own JSON kept for the dead-letter topic.</summary>
public sealed record RejectedCoin(string Reason, string Error, string RawJson, string? CoinId);
