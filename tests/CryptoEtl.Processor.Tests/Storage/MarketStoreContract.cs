using CryptoEtl.Processor.Storage;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Storage;

/// <summary>What every store must do; LiteDB and MongoDB both run these.</summary>
public abstract class MarketStoreContract : IAsyncLifetime
{
    protected IMarketStore Store { get; private set; } = null!;


    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected abstract Task<IMarketStore> CreateAsync();

    public async ValueTask InitializeAsync()
    {
        Store = await CreateAsync();
        await Store.InitializeAsync(Cancel);
        await Store.InitializeAsync(Cancel); // twice is harmless
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }
    }

    private Task<WriteSummary> Write(params object[] items) => Store.WriteAsync(StoreBatch.Reduce(
        items.OfType<CryptoEtl.Contracts.Market.PriceTick>(), items.OfType<CryptoEtl.Contracts.Market.Candle>(), items.OfType<CryptoEtl.Contracts.Market.MarketAlert>()), Cancel);

    [Fact]
    public async Task Writing_the_same_documents_again_changes_nothing()
    {
        object[] batch = [Tick("bitcoin", 0, 100), Tick("bitcoin", 1, 101), Candle("bitcoin", 0, 2, 101), Alert("bitcoin", 1)];
        await Write(batch);
        var before = await Store.CountsAsync(Cancel);

        await Write(batch);

        Assert.Equal(before, await Store.CountsAsync(Cancel));
        Assert.Equal(2, before[Collections.Ticks]);
        Assert.Equal(1, before[Collections.Latest]);
        Assert.Equal(1, before[Collections.Candles]);
        Assert.Equal(1, before[Collections.Alerts]);
    }

    [Fact]
    public async Task A_candle_is_replaced_only_by_a_higher_version()
    {
        await Write(Candle("eth", 0, 5, 105));

        var stale = await Write(Candle("eth", 0, 3, 103));
        var same = await Write(Candle("eth", 0, 5, 999));
        var newer = await Write(Candle("eth", 0, 6, 106, final: true));

        Assert.Equal((1L, 0L), (stale.Stale[Collections.Candles], stale.Written[Collections.Candles]));
        Assert.Equal(1, same.Stale[Collections.Candles]);
        Assert.Equal(1, newer.Written[Collections.Candles]);
        var stored = Assert.Single(await Store.CandlesAsync("eth", "1m", T0.AddHours(-1), T0.AddHours(1), 10, Cancel));
        Assert.Equal((6L, 106d, true), (stored.Version, stored.Close, stored.Final));
    }

    [Fact]
    public async Task Within_one_batch_the_highest_candle_version_wins_whatever_the_order()
    {
        await Write(Candle("eth", 0, 4, 104), Candle("eth", 0, 7, 107), Candle("eth", 0, 5, 105));

        Assert.Equal(7, Assert.Single(await Store.CandlesAsync("eth", "1m", T0, T0.AddMinutes(1), 10, Cancel)).Version);
    }

    [Fact]
    public async Task The_latest_quote_moves_only_forward_in_event_time()
    {
        await Write(Tick("sol", 5, 105));
        await Write(Tick("sol", 3, 103));
        Assert.Equal(105, (await Store.LatestAsync("sol", Cancel))!.Price);

        await Write(Tick("sol", 6, 106), Tick("sol", 4, 104));

        Assert.Equal(106, (await Store.LatestAsync("sol", Cancel))!.Price);
        Assert.Equal(4, (await Store.TicksAsync("sol", T0, T0.AddHours(1), 100, Cancel)).Count);
        Assert.Null(await Store.LatestAsync("nope", Cancel));
    }

    [Fact]
    public async Task The_latest_quotes_page_by_market_cap_then_coin_id_with_coins_without_a_cap_last()
    {
        // Caps on both sides of powers of two, a tie, a zero, and two coins without one.
        await Write(Tick("ddd", 0, 1, 7e9), Tick("bbb", 0, 1, 0.5), Tick("ccc", 0, 1, 7e9), Tick("aaa", 0, 1, 3e12), Tick("eee", 0, 1, 0),
            Tick("hhh", 0, 1) with { MarketCap = null }, Tick("ggg", 0, 1, 2), Tick("fff", 0, 1) with { MarketCap = null });

        var pages = new List<string[]>();
        string? after = null;
        for (var page = await Store.LatestPageAsync(after, 3, Cancel); page.Count > 0; page = await Store.LatestPageAsync(after, 3, Cancel))
        {
            pages.Add([.. page.Select(t => t.CoinId)]);
            after = StoreDocuments.CoinPageKey(page[^1]);
        }

        Assert.Equal(["aaa", "ccc", "ddd", "ggg", "bbb", "eee", "fff", "hhh"], pages.SelectMany(p => p));
        Assert.Equal([3, 3, 2], pages.Select(p => p.Length));
        Assert.Equal(3e12 + 7e9 + 7e9 + 2 + 0.5, await Store.TotalMarketCapAsync(Cancel));
    }

    [Fact]
    public async Task Documents_round_trip_with_nulls_and_utc_times()
    {
        var tick = Tick("ada", 0, 0.6) with { MarketCap = null, MarketCapRank = 9 };
        var candle = Candle("ada", 0, 2, 0.61) with { Volume24h = 123.5 };
        var alert = Samples.Alert("ada", 0);
        await Write(tick, candle, alert);

        Assert.Equal(tick, (await Store.LatestAsync("ada", Cancel))!);
        Assert.Equal(tick, Assert.Single(await Store.TicksAsync("ada", T0, T0.AddMinutes(1), 10, Cancel)));
        Assert.Equal(candle, Assert.Single(await Store.CandlesAsync("ada", "1m", T0, T0.AddMinutes(1), 10, Cancel)));
        Assert.Equal(alert, Assert.Single(await Store.AlertsAsync(T0, 10, Cancel)));
        Assert.Equal(TimeSpan.Zero, (await Store.LatestAsync("ada", Cancel))!.EventTime.Offset);
    }

    [Fact]
    public async Task Candle_and_alert_queries_filter_order_and_limit()
    {
        await Write(Candle("btc", 0, 1, 1), Candle("btc", 1, 1, 2), Candle("btc", 2, 1, 3), Candle("btc", 2, 1, 9, interval: "5m"), Candle("eth", 1, 1, 5),
            Alert("btc", 0), Alert("btc", 5), Alert("eth", 9));

        var candles = await Store.CandlesAsync("btc", "1m", T0.AddMinutes(1), T0.AddMinutes(10), 10, Cancel);
        var limited = await Store.CandlesAsync("btc", "1m", T0, T0.AddMinutes(10), 2, Cancel);
        var alerts = await Store.AlertsAsync(T0.AddMinutes(1), 10, Cancel);

        Assert.Equal([3d, 2d], candles.Select(c => c.Close));
        Assert.Equal([3d, 2d], limited.Select(c => c.Close));
        Assert.Equal(["eth", "btc"], alerts.Select(a => a.CoinId));
        Assert.Single(await Store.AlertsAsync(T0, 1, Cancel));
    }

    [Fact]
    public async Task Newest_event_times_and_counts_describe_each_collection()
    {
        Assert.Null((await Store.NewestAsync(Cancel))[Collections.Ticks]);

        await Write(Tick("btc", 2, 1), Tick("eth", 7, 1), Candle("btc", 3, 4, 1), Alert("eth", 5));

        var newest = await Store.NewestAsync(Cancel);
        Assert.Equal(T0.AddMinutes(7), newest[Collections.Ticks]);
        Assert.Equal(T0.AddMinutes(7), newest[Collections.Latest]);
        Assert.Equal(T0.AddMinutes(3).AddSeconds(4), newest[Collections.Candles]);
        Assert.Equal(T0.AddMinutes(5), newest[Collections.Alerts]);
    }

    [Fact]
    public async Task A_replay_mixed_with_new_and_late_ticks_stores_each_tick_once()
    {
        await Write(Tick("btc", 0, 100), Tick("btc", 1, 101), Tick("btc", 2, 102), Tick("eth", 0, 10));

        // Redeliveries of stored ticks, new ticks, and a late tick older than the newest stored one, in one batch.
        await Write(Tick("btc", 1, 101), Tick("btc", 2, 102), Tick("btc", 3, 103), Tick("btc", 5, 105), Tick("btc", 4, 104), Tick("eth", 1, 11));
        await Write(Tick("btc", 0, 100), Tick("eth", 0, 10));

        Assert.Equal([100d, 101, 102, 103, 104, 105], (await Store.TicksAsync("btc", T0, T0.AddHours(1), 100, Cancel)).Select(t => t.Price));
        Assert.Equal(8, (await Store.CountsAsync(Cancel))[Collections.Ticks]);
        Assert.Equal(105, (await Store.LatestAsync("btc", Cancel))!.Price);
    }

    [Fact]
    public async Task Time_ranges_include_from_exclude_to_and_keep_coins_apart()
    {
        await Write(Tick("bit", 0, 1), Tick("bit", 1, 2), Tick("bit", 2, 3), Tick("bitcoin", 1, 9), Candle("bit", 0, 1, 1), Candle("bit", 1, 1, 2), Candle("bit", 2, 1, 3));

        Assert.Equal([2d, 3d], (await Store.TicksAsync("bit", T0.AddMinutes(1), T0.AddMinutes(3), 10, Cancel)).Select(t => t.Price));
        Assert.Equal([1d, 2d], (await Store.TicksAsync("bit", T0, T0.AddMinutes(2), 10, Cancel)).Select(t => t.Price));
        Assert.Empty(await Store.TicksAsync("bit", T0.AddMinutes(1), T0.AddMinutes(1), 10, Cancel));
        Assert.Equal([2d, 1d], (await Store.CandlesAsync("bit", "1m", T0, T0.AddMinutes(2), 10, Cancel)).Select(c => c.Close));
        Assert.Empty(await Store.CandlesAsync("bit", "1m", T0.AddMinutes(2), T0.AddMinutes(2), 10, Cancel));
    }

    [Fact]
    public async Task Ticks_older_than_the_retention_cutoff_can_be_deleted()
    {
        await Write(Tick("btc", 0, 1), Tick("btc", 10, 2), Tick("btc", 20, 3));

        var deleted = await Store.DeleteTicksBeforeAsync(T0.AddMinutes(15), Cancel);

        Assert.Equal(2, deleted);
        Assert.Equal(20, (await Store.TicksAsync("btc", T0, T0.AddHours(1), 10, Cancel)).Single().EventTime.Minute);
    }
}
