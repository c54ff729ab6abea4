using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Processor.Storage;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Loading;

/// <summary>
/// Records that decode but hold values no real market has, records too big for anything, and records the store cannot
/// take: each is dead-lettered once with its reason, the good records around it are stored, the lag goes to zero and
/// the loader stays healthy.
/// </summary>
public sealed class PoisonRecordTests : IAsyncLifetime
{
    private LoaderHarness _harness = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _harness = await LoaderHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>The bad tick, the dead letter's reason, and what its error names.</summary>
    public static TheoryData<string, string, string> BadTicks => new()
    {
        { "nan-price", DeadLetterReasons.ContractViolation, "field 'price'" },
        { "negative-price", DeadLetterReasons.ContractViolation, "field 'price'" },
        { "infinite-change", DeadLetterReasons.ContractViolation, "field 'change'" },
        { "empty-coin-id", DeadLetterReasons.ContractViolation, "field 'coin_id'" },
        { "long-coin-id", DeadLetterReasons.ContractViolation, "field 'coin_id'" },
        { "year-9999", DeadLetterReasons.ContractViolation, "field 'event_time'" },
        { "before-bitcoin", DeadLetterReasons.ContractViolation, "field 'event_time'" },
        { "huge-symbol", DeadLetterReasons.ContractViolation, "field 'symbol'" },
        // Avro itself cannot turn the last millisecond of representable time back into a timestamp.
        { "end-of-time", DeadLetterReasons.Undecodable, "Avro decoding failed" },
    };

    [Theory]
    [MemberData(nameof(BadTicks))]
    public async Task A_tick_with_values_no_market_has_is_dead_lettered_once_and_the_ticks_after_it_are_stored(string kind, string reason, string error)
    {
        await _harness.ProduceAsync(Topics.Ticks, [Tick("btc", 0, 100), Bad(kind), Tick("btc", 1, 101), Tick("btc", 2, 102)], t => "btc");

        await using var store = await _harness.OpenStoreAsync();
        using (var running = _harness.Run(store))
        {
            await _harness.WaitUntilLoadedAsync();
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, running.Status.Health.Check().Status);
        }

        var letter = Assert.Single(await _harness.DeadLettersAsync());
        Assert.Equal((CryptoEtl.Processor.Loading.Loader.Stage, reason, 1L), (letter.Stage, letter.Reason, letter.SourceOffset));
        Assert.Contains(error, letter.Error, StringComparison.Ordinal);
        Assert.Equal(3, (await store.CountsAsync(Cancel))[Collections.Ticks]);
        Assert.Equal(102, (await store.LatestAsync("btc", Cancel))!.Price);
    }

    [Fact]
    public async Task A_record_bigger_than_a_dead_letter_may_be_is_cut_to_fit_and_says_so()
    {
        var huge = new byte[990_000];
        Random.Shared.NextBytes(huge);
        huge[0] = 7; // not the wire format's magic byte
        await _harness.ProduceRawAsync(Topics.Ticks, huge);
        await _harness.ProduceAsync(Topics.Ticks, [Tick("eth", 0, 10)], t => "eth");

        await using var store = await _harness.OpenStoreAsync();
        using (_harness.Run(store))
        {
            await _harness.WaitUntilLoadedAsync();
        }

        var letter = Assert.Single(await _harness.DeadLettersAsync());
        Assert.Equal(DeadLetterReasons.NotWireFormat, letter.Reason);
        Assert.Equal(huge[..(DeadLetters.DefaultMaxMessageBytes / 2)], letter.Payload);
        Assert.Contains(letter.Headers, h => h.Key == DeadLetters.TruncatedHeader && System.Text.Encoding.ASCII.GetString(h.Value!) == "payload=990000,key=6,headers=0");
        Assert.Contains("cut to fit the dead-letter topic", letter.Error, StringComparison.Ordinal);
        Assert.Equal(1, (await store.CountsAsync(Cancel))[Collections.Ticks]);
    }

    [Fact]
    public async Task A_record_the_store_refuses_every_time_is_dead_lettered_and_the_rest_of_its_batch_is_stored()
    {
        await using var store = new OutageStore(await _harness.OpenStoreAsync()) { RefusedCoin = "doge" };
        await _harness.ProduceAsync(Topics.Ticks, [Tick("btc", 0, 100), Tick("doge", 0, 0.1), Tick("btc", 1, 101)], t => t.CoinId);

        using (var running = _harness.Run(store))
        {
            await _harness.WaitUntilLoadedAsync();
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, running.Status.Health.Check().Status);
        }

        var letter = Assert.Single(await _harness.DeadLettersAsync());
        Assert.Equal((DeadLetterReasons.StoreRejected, "doge"), (letter.Reason, System.Text.Encoding.UTF8.GetString(letter.Key!)));
        Assert.Contains("cannot hold a tick of doge", letter.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await store.CountsAsync(Cancel))[Collections.Ticks]);
    }

    [Fact]
    public async Task A_batch_of_only_records_the_store_refuses_for_what_they_are_is_dead_lettered_not_retried_forever()
    {
        await using var store = new OutageStore(await _harness.OpenStoreAsync()) { RefusedCoin = "doge" };
        await _harness.ProduceAsync(Topics.Ticks, [Tick("doge", 0, 0.1)], t => t.CoinId);

        using (var running = _harness.Run(store))
        {
            await _harness.WaitUntilLoadedAsync();
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, running.Status.Health.Check().Status);
        }

        Assert.Equal(DeadLetterReasons.StoreRejected, Assert.Single(await _harness.DeadLettersAsync()).Reason);
        Assert.Equal(0, (await store.CountsAsync(Cancel)).GetValueOrDefault(Collections.Ticks));
    }

    private static PriceTick Bad(string kind) => kind switch
    {
        "nan-price" => Tick("btc", 5, 100) with { Price = double.NaN },
        "negative-price" => Tick("btc", 5, 100) with { Price = -3 },
        "infinite-change" => Tick("btc", 5, 100) with { Change = double.PositiveInfinity },
        "empty-coin-id" => Tick("btc", 5, 100) with { CoinId = "" },
        "long-coin-id" => Tick("btc", 5, 100) with { CoinId = new string('a', 2000) },
        "year-9999" => Tick("btc", 5, 100) with { EventTime = new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        "end-of-time" => Tick("btc", 5, 100) with { EventTime = DateTimeOffset.MaxValue },
        "before-bitcoin" => Tick("btc", 5, 100) with { EventTime = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        "huge-symbol" => Tick("btc", 5, 100) with { Symbol = new string('x', 500_000) },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
