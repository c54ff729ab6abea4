using System.Text.Json.Nodes;
using CryptoEtl.ControlCenter.Browsing;

namespace CryptoEtl.ControlCenter.Tests;

public sealed class RecordFilterTests
{
    private static readonly JsonNode Bitcoin = JsonNode.Parse("""
        {"coin_id":"bitcoin","price":101.5,"market_cap_rank":1,"source":"Simulator","stale":false,"note":null,"quote":{"vs":"usd","volume":7}}
        """)!;

    [Theory]
    [InlineData("price > 100 && coin_id == \"bitcoin\"", true)]
    [InlineData("price > 200 || coin_id == \"bitcoin\"", true)]
    [InlineData("price >= 101.5 && price <= 101.5 && price != 3", true)]
    [InlineData("price < 100", false)]
    [InlineData("!(price < 100) && market_cap_rank == 1", true)]
    [InlineData("quote.vs == \"usd\" && quote.volume > 6", true)]
    [InlineData("note == null && missing == null", true)]
    [InlineData("stale == false && !stale", true)]
    [InlineData("coin_id contains \"COIN\"", true)]
    [InlineData("coin_id > 5", false)] // text against a number: false, not an error
    [InlineData("price > -1e3", true)]
    [InlineData("coin_id == \"bit\\\"coin\"", false)]
    public void A_filter_is_evaluated_on_the_decoded_value(string filter, bool matches) =>
        Assert.Equal(matches, RecordFilter.Parse(filter).Matches(Bitcoin));

    [Theory]
    [InlineData("price >", "filter: expected a field, a number, a \"text\", true, false, null or '(' at column 8, got the end.")]
    [InlineData("price > 100 &&", "filter: expected a field, a number, a \"text\", true, false, null or '(' at column 15, got the end.")]
    [InlineData("(price > 100", "filter: expected ')' at column 13, got the end.")]
    [InlineData("price > 100 coin", "filter: expected an operator (&&, ||, ==, ...) or the end at column 13, got 'coin'.")]
    [InlineData("price = 100", "filter: unexpected '=' at column 7.")]
    [InlineData("coin_id == \"bitcoin", "filter: the text starting at column 12 has no closing \".")]
    public void A_filter_that_does_not_parse_says_where_and_why(string filter, string error) =>
        Assert.Equal(error, Assert.Throws<FilterSyntaxException>(() => RecordFilter.Parse(filter)).Message);

    [Fact]
    public void A_filter_has_a_bounded_length() =>
        Assert.StartsWith("filter must be at most 500 characters", Assert.Throws<FilterSyntaxException>(() => RecordFilter.Parse(new string('a', 501))).Message, StringComparison.Ordinal);
}
