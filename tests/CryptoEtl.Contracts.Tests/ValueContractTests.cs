using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using static CryptoEtl.Contracts.Tests.ContractSamples;

namespace CryptoEtl.Contracts.Tests;

/// <summary>The value contract on its own: its edges, and that each message type names the field that breaks it.</summary>
public sealed class ValueContractTests
{
    private static readonly DateTimeOffset Now = new(2024, 1, 1, 15, 20, 0, TimeSpan.Zero);

    [Fact]
    public void The_samples_of_every_market_contract_hold()
    {
        Assert.Null(MarketSnapshot.Violation(FullSnapshot(), Now));
        Assert.Null(MarketSnapshot.Violation(MinimalSnapshot(), Now));
        Assert.Null(PriceTick.Violation(Tick(), Now));
        Assert.Null(Market.Candle.Violation(ContractSamples.Candle(), Now));
        Assert.Null(MarketAlert.Violation(Alert(), Now));
        Assert.Null(Pipeline.DeadLetter.Violation(ContractSamples.DeadLetter(), Now));
    }

    [Fact]
    public void An_event_time_may_be_at_most_a_minute_ahead_and_not_before_2009()
    {
        Assert.Null(PriceTick.Violation(Tick() with { EventTime = Now + ValueContract.MaxAhead }, Now));
        Assert.Equal("field 'event_time': 2024-01-01T15:21:00.0010000+00:00 is more than 60 s after now (2024-01-01T15:20:00.0000000+00:00)",
            PriceTick.Violation(Tick() with { EventTime = Now + ValueContract.MaxAhead + TimeSpan.FromMilliseconds(1) }, Now));
        Assert.Null(PriceTick.Violation(Tick() with { EventTime = ValueContract.Earliest }, Now));
        Assert.StartsWith("field 'event_time': 2009-01-02T23:59:59", PriceTick.Violation(Tick() with { EventTime = ValueContract.Earliest.AddSeconds(-1) }, Now));
    }

    [Theory]
    [InlineData("bitcoin", null)]
    [InlineData("usd-coin", null)]
    [InlineData("0x", null)]
    [InlineData("", "field 'coin_id': '' (0 characters) is not an id")]
    [InlineData("Bitcoin", "field 'coin_id': 'Bitcoin' (7 characters) is not an id")]
    [InlineData("bit coin", "field 'coin_id': 'bit coin' (8 characters) is not an id")]
    [InlineData("../etc", "field 'coin_id': '../etc' (6 characters) is not an id")]
    public void A_coin_id_is_a_lower_case_slug(string id, string? problem)
    {
        var violation = PriceTick.Violation(Tick() with { CoinId = id }, Now);
        if (problem is null)
        {
            Assert.Null(violation);
        }
        else
        {
            Assert.StartsWith(problem, violation);
        }
    }

    [Fact]
    public void Ids_and_texts_have_lengths_every_store_and_the_broker_take()
    {
        Assert.Null(PriceTick.Violation(Tick() with { CoinId = new string('a', ValueContract.MaxIdLength) }, Now));
        Assert.StartsWith("field 'coin_id': 'aaaa", PriceTick.Violation(Tick() with { CoinId = new string('a', ValueContract.MaxIdLength + 1) }, Now));
        Assert.Equal("field 'symbol': has 257 characters, more than 256", PriceTick.Violation(Tick() with { Symbol = new string('x', 257) }, Now));
        Assert.Equal("field 'symbol': is empty", PriceTick.Violation(Tick() with { Symbol = "" }, Now));
        Assert.Equal("field 'image': has 2049 characters, more than 2048", MarketSnapshot.Violation(FullSnapshot() with { Image = new string('x', 2049) }, Now));
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(0.0, "0")]
    [InlineData(-1.5, "-1.5")]
    public void A_price_is_a_positive_finite_number(double price, string shown)
    {
        Assert.Equal($"field 'current_price': {shown} is not a positive finite number", MarketSnapshot.Violation(MinimalSnapshot() with { CurrentPrice = price }, Now));
        Assert.Equal($"field 'price': {shown} is not a positive finite number", PriceTick.Violation(Tick() with { Price = price }, Now));
    }

    [Fact]
    public void Changes_may_be_negative_but_not_infinite_and_amounts_not_negative()
    {
        Assert.Null(PriceTick.Violation(Tick() with { Change = -5, ChangePct = -1, LogReturn = -0.01 }, Now));
        Assert.Equal("field 'change_pct': NaN is not a finite number", PriceTick.Violation(Tick() with { ChangePct = double.NaN }, Now));
        Assert.Equal("field 'total_volume': -1 is not a finite number of at least 0", PriceTick.Violation(Tick() with { TotalVolume = -1 }, Now));
        Assert.Equal("field 'market_cap_rank': 0 is less than 1", PriceTick.Violation(Tick() with { MarketCapRank = 0 }, Now));
    }

    [Fact]
    public void A_candle_is_consistent_with_itself()
    {
        var candle = ContractSamples.Candle();
        Assert.Equal("field 'high': is below open, close or low", Market.Candle.Violation(candle with { High = candle.Close / 2 }, Now));
        Assert.Equal("field 'window_end': is not after window_start", Market.Candle.Violation(candle with { WindowEnd = candle.WindowStart }, Now));
        Assert.Equal("field 'interval': '7x' is not an interval such as 1m, 5m or 1h", Market.Candle.Violation(candle with { Interval = "7x" }, Now));
    }

    [Fact]
    public void The_first_problem_is_the_one_reported()
    {
        Assert.StartsWith("field 'coin_id'", PriceTick.Violation(Tick() with { CoinId = "", Price = double.NaN }, Now));
    }
}
