using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Processor.Storage;
using CryptoEtl.TestSupport;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Loading;

/// <summary>The loader through the embedded Kafka into LiteDB.</summary>
public sealed class LoaderTests : IAsyncLifetime
{
    private LoaderHarness _harness = null!;

    public async ValueTask InitializeAsync() => _harness = await LoaderHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task ProduceSample()
    {
        await _harness.ProduceAsync(Topics.Ticks, [Tick("btc", 0, 100), Tick("btc", 1, 101), Tick("btc", 1, 101), Tick("eth", 0, 5)], t => t.CoinId);
        await _harness.ProduceAsync(Topics.Candles, [Candle("btc", 0, 3, 103), Candle("btc", 0, 5, 105), Candle("btc", 0, 4, 104), Candle("btc", 0, 6, 106, final: true)], c => c.CoinId);
        await _harness.ProduceAsync(Topics.Alerts, [Alert("btc", 1), Alert("btc", 1)], a => a.CoinId);
    }

    [Fact]
    public async Task The_store_holds_exactly_one_document_per_id_with_the_highest_candle_version()
    {
        await ProduceSample();

        await using (var store = await _harness.OpenStoreAsync())
        using (_harness.Run(store))
        {
            await _harness.WaitUntilLoadedAsync();
        }

        await using var check = await _harness.OpenStoreAsync();
        var counts = await check.CountsAsync(Cancel);
        Assert.Equal((3L, 2L, 1L, 1L), (counts[Collections.Ticks], counts[Collections.Latest], counts[Collections.Candles], counts[Collections.Alerts]));
        var candle = Assert.Single(await check.CandlesAsync("btc", "1m", T0, T0.AddHours(1), 10, Cancel));
        Assert.Equal((6L, 106d, true), (candle.Version, candle.Close, candle.Final));
        Assert.Equal(101, (await check.LatestAsync("btc", Cancel))!.Price);
    }

    [Fact]
    public async Task An_older_candle_version_arriving_in_a_later_batch_does_not_overwrite_a_newer_one()
    {
        await _harness.ProduceAsync(Topics.Candles, [Candle("sol", 0, 8, 108)], c => c.CoinId);
        await using var store = await _harness.OpenStoreAsync();
        using var running = _harness.Run(store);
        await _harness.WaitUntilLoadedAsync();

        await _harness.ProduceAsync(Topics.Candles, [Candle("sol", 0, 2, 102)], c => c.CoinId);
        await _harness.WaitUntilLoadedAsync();

        Assert.Equal(8, Assert.Single(await store.CandlesAsync("sol", "1m", T0, T0.AddHours(1), 10, Cancel)).Version);
    }

    [Fact]
    public async Task A_poison_message_is_dead_lettered_and_the_partition_moves_on()
    {
        await _harness.ProduceRawAsync(Topics.Ticks, "not avro at all"u8.ToArray());
        await ProduceSample();

        await using (var store = await _harness.OpenStoreAsync())
        using (_harness.Run(store))
        {
            await _harness.WaitUntilLoadedAsync();
        }

        var letter = Assert.Single(_harness.Infrastructure.ReadAll(Topics.DeadLetter));
        var decoded = (await new ContractDecoder<DeadLetter>(_harness.Infrastructure.Registry).DecodeAsync(letter.Message.Value, Topics.DeadLetter)).Value!;
        Assert.Equal(("load", DeadLetterReasons.NotWireFormat, Topics.Ticks), (decoded.Stage, decoded.Reason, decoded.SourceTopic));
        Assert.Equal("not avro at all"u8.ToArray(), decoded.Payload);
        await using var check = await _harness.OpenStoreAsync();
        Assert.Equal(3, (await check.CountsAsync(Cancel))[Collections.Ticks]);
    }

    [Fact]
    public async Task During_a_store_outage_nothing_is_committed_and_everything_is_stored_once_it_is_back()
    {
        await using var store = new OutageStore(await _harness.OpenStoreAsync()) { Down = true };
        using var running = _harness.Run(store);
        await ProduceSample();

        await Eventually.TrueAsync(() => store.Refused >= 3, TimeSpan.FromSeconds(30), "refused writes");
        Assert.Equal(10, _harness.Lag());
        Assert.NotNull(running.Status.Health.Error);

        store.Down = false;
        await _harness.WaitUntilLoadedAsync();

        var counts = await store.CountsAsync(Cancel);
        Assert.Equal((3L, 1L, 1L), (counts[Collections.Ticks], counts[Collections.Candles], counts[Collections.Alerts]));
        Assert.Null(running.Status.Health.Error);
    }
}
