using System.Text;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Ingest.CoinGecko;

namespace CryptoEtl.Ingest.Tests;

public sealed class MarketsParserTests
{
    /// <summary>Fetched the day after the saved response: its event times lie before the fetch, as real ones do.</summary>
    private static readonly IngestContext Context = new("run-1", DataSource.CoinGecko, new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.Zero), "usd");

    private static ParsedPage Parse(string json) => MarketsParser.Parse(Encoding.UTF8.GetBytes(json), Context);

    private static string Coin(string fields) =>
        "{\"id\":\"c\",\"symbol\":\"c\",\"name\":\"C\",\"current_price\":1.5,\"last_updated\":\"2024-01-01T15:12:29.021Z\"" + fields + "}";

    [Fact]
    public void Parses_every_coin_of_a_real_response_and_rejects_none()
    {
        var page = MarketsParser.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "coins-markets-usd-2024-01-01.json")), Context);

        Assert.Empty(page.Rejected);
        Assert.Equal(17, page.Snapshots.Count);
        var bitcoin = page.Snapshots[0];
        Assert.Equal(("bitcoin", "btc", 42632d, 1, 21000000d), (bitcoin.Id, bitcoin.Symbol, bitcoin.CurrentPrice, bitcoin.MarketCapRank!.Value, bitcoin.MaxSupply!.Value));
        Assert.Null(bitcoin.Roi);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 15, 12, 29, 21, TimeSpan.Zero), bitcoin.LastUpdated);
        var ethereum = page.Snapshots.Single(s => s.Id == "ethereum");
        Assert.Equal(new Roi(71.15813436002082, "btc", 7115.813436002083), ethereum.Roi);
        Assert.Null(ethereum.MaxSupply);
        Assert.Equal(0.432979, ethereum.Atl);
        Assert.All(page.Snapshots, s => Assert.Equal(("run-1", DataSource.CoinGecko, "usd"), (s.RunId, s.Source, s.VsCurrency)));
    }

    [Theory]
    [InlineData("42632", 42632d)]
    [InlineData("1e-05", 0.00001d)]
    [InlineData("2.5E+3", 2500d)]
    [InlineData("\"0.619553\"", 0.619553d)]
    public void Prices_may_be_integers_decimals_exponents_or_numeric_strings(string json, double expected)
    {
        var page = Parse($"[{Coin("").Replace("\"current_price\":1.5", $"\"current_price\":{json}", StringComparison.Ordinal)}]");

        Assert.Equal(expected, Assert.Single(page.Snapshots).CurrentPrice);
    }

    [Fact]
    public void Missing_null_and_unknown_fields_are_fine()
    {
        var page = Parse($"[{Coin(",\"market_cap\":null,\"roi\":null,\"brand_new_field\":{\"x\":[1,2]},\"ath_date\":null")}]");

        var snapshot = Assert.Single(page.Snapshots);
        Assert.Null(snapshot.MarketCap);
        Assert.Null(snapshot.TotalVolume);
        Assert.Null(snapshot.AthDate);
        Assert.Null(snapshot.Image);
    }

    [Theory]
    [InlineData("{\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.MissingId)]
    [InlineData("{\"id\":\"  \",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.MissingId)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":null,\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.InvalidPrice)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":0,\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.InvalidPrice)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":-3.2,\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.InvalidPrice)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":\"NaN\",\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.InvalidField)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":\"Infinity\",\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.InvalidField)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1e999,\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.InvalidField)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"yesterday\"}", DeadLetterReasons.InvalidTimestamp)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":17}", DeadLetterReasons.InvalidTimestamp)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1}", DeadLetterReasons.InvalidTimestamp)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\",\"market_cap\":{\"usd\":1}}", DeadLetterReasons.InvalidField)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\",\"market_cap_rank\":2.5}", DeadLetterReasons.InvalidField)]
    [InlineData("{\"id\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.InvalidField)]
    [InlineData("[1,2]", DeadLetterReasons.InvalidField)]
    [InlineData("{\"id\":\"Bitcoin Cash\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\"}", DeadLetterReasons.ContractViolation)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2030-01-01T00:00:00Z\"}", DeadLetterReasons.ContractViolation)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\",\"ath_date\":\"1990-01-01T00:00:00Z\"}", DeadLetterReasons.ContractViolation)]
    [InlineData("{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"X\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\",\"total_volume\":-5}", DeadLetterReasons.ContractViolation)]
    public void A_coin_that_cannot_be_trusted_is_rejected_with_a_reason_and_its_raw_json(string coin, string reason)
    {
        var page = Parse($"[{Coin("")},{coin}]");

        Assert.Single(page.Snapshots);
        var rejected = Assert.Single(page.Rejected);
        Assert.Equal(reason, rejected.Reason);
        Assert.Equal(System.Text.Json.JsonDocument.Parse(coin).RootElement.GetRawText(), rejected.RawJson);
        Assert.False(string.IsNullOrWhiteSpace(rejected.Error));
    }

    [Theory]
    [InlineData("<html>502 Bad Gateway</html>", "not JSON")]
    [InlineData("[{\"id\":\"bitcoin\",", "not JSON")]
    [InlineData("{\"status\":{\"error_code\":429,\"error_message\":\"You've exceeded the Rate Limit.\"}}", "error 429: You've exceeded the Rate Limit.")]
    [InlineData("{\"error\":\"invalid vs_currency\"}", "invalid vs_currency")]
    public void A_body_that_is_not_a_list_of_coins_fails_the_call(string body, string expected)
    {
        var error = Assert.Throws<CoinGeckoResponseException>(() => Parse(body));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_longer_than_the_contract_allows_is_rejected_and_named()
    {
        var page = Parse($"[{Coin("")},{{\"id\":\"x\",\"symbol\":\"x\",\"name\":\"{new string('n', 1_000_000)}\",\"current_price\":1,\"last_updated\":\"2024-01-01T00:00:00Z\"}}]");

        var rejected = Assert.Single(page.Rejected);
        Assert.Equal(DeadLetterReasons.ContractViolation, rejected.Reason);
        Assert.Contains("field 'name': has 1000000 characters, more than 256", rejected.Error, StringComparison.Ordinal);
    }
}
