using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.SparkJob.Local;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>
/// Snapshots that decode but hold values no market has, and a record the job cannot deliver however often it tries:
/// each is dead-lettered once with its reason, the snapshots after it on the same partition are transformed as if it
/// never came, the group's lag goes to zero and the job stays healthy.
/// </summary>
public sealed class PoisonRecordTests : IAsyncLifetime
{
    private ExecutorHarness _harness = null!;

    public async ValueTask InitializeAsync() => _harness = await ExecutorHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>The bad snapshot, the dead letter's reason, and what its error names.</summary>
    public static TheoryData<string, string, string> BadSnapshots => new()
    {
        { "nan-price", DeadLetterReasons.ContractViolation, "field 'current_price'" },
        { "negative-price", DeadLetterReasons.ContractViolation, "field 'current_price'" },
        { "infinite-market-cap", DeadLetterReasons.ContractViolation, "field 'market_cap'" },
        { "empty-coin-id", DeadLetterReasons.ContractViolation, "field 'id'" },
        { "long-coin-id", DeadLetterReasons.ContractViolation, "field 'id'" },
        { "year-9999", DeadLetterReasons.ContractViolation, "field 'last_updated'" },
        { "an-hour-ahead", DeadLetterReasons.ContractViolation, "field 'last_updated'" },
        { "before-bitcoin", DeadLetterReasons.ContractViolation, "field 'last_updated'" },
        { "huge-symbol", DeadLetterReasons.ContractViolation, "field 'symbol'" },
        // Avro itself cannot turn the last millisecond of representable time back into a timestamp.
        { "end-of-time", DeadLetterReasons.Undecodable, "Avro decoding failed" },
    };

    [Theory]
    [MemberData(nameof(BadSnapshots))]
    public async Task A_snapshot_with_values_no_market_has_is_dead_lettered_once_and_never_reaches_a_window(string kind, string reason, string error)
    {
        var market = Snapshots.Market(coins: 1, minutes: 10);
        var bad = Bad(kind, market[3]);
        await _harness.ProduceAsync(market.Take(4));
        await _harness.ProduceAsync([bad], expected: false);
        await _harness.ProduceAsync(market.Skip(4));

        using (var running = _harness.RunInProcess())
        {
            await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(HealthStatus.Healthy, running.Status.Health.Check().Status);
        }

        var letter = Assert.Single(await _harness.DeadLettersAsync());
        Assert.Equal((LocalExecutor.Stage, reason), (letter.Stage, letter.Reason));
        Assert.Equal(bad.Id, System.Text.Encoding.UTF8.GetString(letter.Key!)); // the bad one (keyed by its id), not a good one
        Assert.Contains(error, letter.Error, StringComparison.Ordinal);
        // Nothing of it reached a window: no later snapshot became late, and the outputs are those of the good ones.
        (await _harness.ActualAsync()).AssertEqual(_harness.Expected());
        Assert.Equal(10, _harness.Infrastructure.ReadAll(Topics.Ticks).Count);
    }

    [Fact]
    public async Task A_snapshot_whose_tick_cannot_be_delivered_is_set_aside_after_a_few_tries_and_the_partition_moves_on()
    {
        // Within the contract, but its tick (an id of 100 characters; symbol, run id and currency of 256 each) is
        // bigger than this producer's message.max.bytes: every try of its batch fails the same way.
        var market = Snapshots.Market(coins: 1, minutes: 10);
        var tooBig = market[3] with
        {
            Id = new string('c', 100), LastUpdated = market[3].LastUpdated.AddSeconds(30),
            Symbol = new string('s', 256), RunId = new string('r', 256), VsCurrency = new string('v', 256),
        };
        await _harness.ProduceAsync(market.Take(4));
        await _harness.ProduceAsync([tooBig], expected: false);
        await _harness.ProduceAsync(market.Skip(4));

        using (var running = _harness.RunInProcess(maxMessageBytes: 1000))
        {
            await _harness.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(HealthStatus.Healthy, running.Status.Health.Check().Status);
        }

        var letter = Assert.Single(await _harness.DeadLettersAsync());
        Assert.Equal(DeadLetterReasons.ProcessingFailed, letter.Reason);
        Assert.Contains("Message size too large", letter.Error, StringComparison.Ordinal);
        // The dead letter itself was cut to fit the same producer (its key too), and says so.
        Assert.StartsWith(System.Text.Encoding.UTF8.GetString(letter.Key!), tooBig.Id, StringComparison.Ordinal);
        Assert.Contains(letter.Headers, h => h.Key == DeadLetters.TruncatedHeader);
        var ticks = (await _harness.ActualAsync()).Ticks;
        Assert.Equal(_harness.Expected().Ticks.Keys.Order(), ticks.Keys.Order());
    }

    private static MarketSnapshot Bad(string kind, MarketSnapshot good) => kind switch
    {
        "nan-price" => good with { CurrentPrice = double.NaN },
        "negative-price" => good with { CurrentPrice = -1 },
        "infinite-market-cap" => good with { MarketCap = double.PositiveInfinity },
        "empty-coin-id" => good with { Id = "" },
        "long-coin-id" => good with { Id = new string('a', 2000) },
        "year-9999" => good with { LastUpdated = new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        "an-hour-ahead" => good with { LastUpdated = DateTimeOffset.UtcNow.AddHours(1) },
        "before-bitcoin" => good with { LastUpdated = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        "huge-symbol" => good with { Symbol = new string('x', 500_000) },
        "end-of-time" => good with { LastUpdated = DateTimeOffset.MaxValue },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
