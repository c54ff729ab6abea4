using CryptoEtl.Contracts;
using CryptoEtl.Processor.Storage;
using CryptoEtl.TestSupport;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Loading;

/// <summary>The Processor as a separate process, killed with SIGKILL mid-stream and restarted.</summary>
public sealed class ProcessorCrashTests : IAsyncLifetime
{
    private LoaderHarness _harness = null!;

    public async ValueTask InitializeAsync() => _harness = await LoaderHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private ChildProcess Start() => ChildProcess.StartDotnet("CryptoEtl.Processor.dll",
    [
        "--urls=http://127.0.0.1:0",
        $"--ConnectionStrings:kafka={_harness.Infrastructure.BootstrapServers}",
        $"--ConnectionStrings:schema-registry={_harness.Infrastructure.RegistryUrl}",
        $"--StateDir={_harness.StateDirectory}",
        $"--Loader:ConsumerGroup={LoaderHarness.Group}",
        "--Loader:MaxBatchSize=100",
        "--Kafka:Consumer:session.timeout.ms=6000",
        "--Logging:LogLevel:Default=Information",
    ]);

    [Fact]
    public async Task After_a_kill_and_a_restart_the_store_holds_exactly_what_was_produced()
    {
        var coins = Enumerable.Range(0, 40).Select(i => $"coin-{i:00}").ToList();
        var ticks = Enumerable.Range(0, 300).SelectMany(minute => coins.Select(c => Tick(c, minute, 100 + minute))).ToList();
        var candles = Enumerable.Range(0, 300).SelectMany(minute => coins.Select(c => Candle(c, minute / 5, (minute % 5) + 1, 100 + minute))).ToList();
        await _harness.ProduceAsync(Topics.Ticks, ticks, t => t.CoinId);
        await _harness.ProduceAsync(Topics.Candles, candles, c => c.CoinId);
        var total = _harness.Lag();

        await using (var first = Start())
        {
            await Eventually.TrueAsync(() => _harness.Lag() < total * 0.9, TimeSpan.FromSeconds(60), "some batches to be committed");
            first.KillHard();
        }

        Assert.True(_harness.Lag() > 0, "the kill came before the end");
        await using (var second = Start())
        {
            await _harness.WaitUntilLoadedAsync(TimeSpan.FromSeconds(120));
            second.Interrupt();
            Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        await using var store = await _harness.OpenStoreAsync();
        var counts = await store.CountsAsync(Cancel);
        Assert.Equal(ticks.Count, counts[Collections.Ticks]);
        Assert.Equal(coins.Count, counts[Collections.Latest]);
        Assert.Equal(coins.Count * 60, counts[Collections.Candles]);
        Assert.All(await store.LatestPageAsync(null, coins.Count, Cancel), t => Assert.Equal(T0.AddMinutes(299), t.EventTime));
        var candle = Assert.Single(await store.CandlesAsync("coin-07", "1m", T0.AddMinutes(29), T0.AddMinutes(30), 10, Cancel));
        Assert.Equal(5, candle.Version);
    }
}
