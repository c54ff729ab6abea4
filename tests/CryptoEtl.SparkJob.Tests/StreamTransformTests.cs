using System.Text.Json;
using CryptoEtl.Contracts.Market;
using CryptoEtl.SparkJob.Transform;
using static CryptoEtl.SparkJob.Tests.Snapshots;

namespace CryptoEtl.SparkJob.Tests;

/// <summary>The transformation on hand-made sequences: no Kafka, no executor.</summary>
public sealed class StreamTransformTests
{
    private readonly StreamTransform _transform = new(new TransformOptions { Intervals = "1m,5m,1h", AllowedLateness = TimeSpan.FromMinutes(2) });
    private readonly PartitionState _state = new();

    private TransformOutput Run(params MarketSnapshot[] snapshots)
    {
        var output = new TransformOutput();
        for (var i = 0; i < snapshots.Length; i++)
        {
            _transform.Process(_state, snapshots[i], i, output);
        }

        _transform.CompleteBatch(output);
        return output;
    }

    [Fact]
    public void Ticks_carry_change_and_log_return_since_the_previous_tick()
    {
        var output = Run(At("btc", 0, 100), At("btc", 60, 110), At("eth", 30, 5));

        Assert.Equal(3, output.Ticks.Count);
        var (first, second, eth) = (output.Ticks[0], output.Ticks[1], output.Ticks[2]);
        Assert.Null(first.PreviousPrice);
        Assert.Null(first.LogReturn);
        Assert.Equal((100d, 10d), (second.PreviousPrice!.Value, second.Change!.Value));
        Assert.Equal(10, second.ChangePct!.Value, 9);
        Assert.Equal(Math.Log(1.1), second.LogReturn!.Value, 12);
        Assert.Null(eth.PreviousPrice);
    }

    [Fact]
    public void Duplicates_of_coin_and_last_updated_are_dropped()
    {
        var output = Run(At("btc", 0, 100), At("btc", 0, 100), At("btc", 60, 101), At("btc", 0, 999));

        Assert.Equal(2, output.Ticks.Count);
        Assert.Equal(2, output.Duplicates);
        Assert.DoesNotContain(output.Ticks, t => t.Price == 999);
    }

    [Fact]
    public void Out_of_order_ticks_use_event_time_for_previous_open_and_close()
    {
        var output = Run(At("btc", 40, 104), At("btc", 10, 101), At("btc", 50, 105), At("btc", 20, 102));

        var late20 = output.Ticks.Single(t => t.EventTime == T0.AddSeconds(20));
        Assert.Equal(101, late20.PreviousPrice);
        var candle = output.Candles.Single(c => c.Interval == "1m");
        Assert.Equal((101d, 105d, 105d, 101d, 4), (candle.Open, candle.Close, candle.High, candle.Low, candle.TickCount));
        Assert.Equal((T0.AddSeconds(10), T0.AddSeconds(50)), (candle.FirstEventTime, candle.LastEventTime));
    }

    [Fact]
    public void Window_boundaries_are_half_open_and_aligned()
    {
        var output = Run(At("btc", 59.999, 1), At("btc", 60, 2), At("btc", 299.999, 3), At("btc", 300, 4));

        var oneMinute = output.Candles.Where(c => c.Interval == "1m").ToDictionary(c => c.WindowStart);
        Assert.Equal(1, oneMinute[T0].Close);
        Assert.Equal(2, oneMinute[T0.AddMinutes(1)].Open);
        var fiveMinutes = output.Candles.Where(c => c.Interval == "5m").ToDictionary(c => c.WindowStart);
        Assert.Equal((1d, 3d, 3), (fiveMinutes[T0].Open, fiveMinutes[T0].Close, fiveMinutes[T0].TickCount));
        Assert.Equal(4, fiveMinutes[T0.AddMinutes(5)].Open);
        Assert.Equal(T0.AddMinutes(5), fiveMinutes[T0].WindowEnd);
    }

    [Fact]
    public void The_watermark_finalizes_windows_once_with_a_higher_version()
    {
        var first = Run(At("btc", 0, 100), At("btc", 30, 101));
        Assert.All(first.Candles, c => Assert.False(c.Final));
        Assert.Equal(2, first.Candles.Single(c => c.Interval == "1m").Version);

        // 10:03:00 moves the watermark to 10:01:00, the end of the first 1m window.
        var second = Run(At("btc", 180, 103));
        var final = Assert.Single(second.Candles, c => c.Final);
        Assert.Equal(("1m", T0, 3L, 2), (final.Interval, final.WindowStart, final.Version, final.TickCount));
        Assert.Equal((100d, 101d), (final.Open, final.Close));
        Assert.Equal(T0.AddMinutes(1), _transform.Watermark(_state) is { } w ? DateTimeOffset.FromUnixTimeMilliseconds(w) : default);

        var third = Run(At("btc", 181, 104));
        Assert.DoesNotContain(third.Candles, c => c.Final);
    }

    [Fact]
    public void A_tick_for_a_final_window_is_late_and_changes_nothing()
    {
        Run(At("btc", 0, 100), At("btc", 180, 103));

        var output = Run(At("btc", 50, 5000), At("btc", 61, 102));

        Assert.Equal([0], output.Late);
        Assert.DoesNotContain(output.Ticks, t => t.Price == 5000);
        Assert.DoesNotContain(output.Candles, c => c.High == 5000);
        Assert.Single(output.Ticks); // 10:01:01 is still inside the allowed lateness
    }

    [Fact]
    public void A_coin_that_appears_mid_window_opens_its_candle_at_its_first_tick()
    {
        var output = Run(At("btc", 0, 100), At("sol", 45, 20), At("btc", 50, 101));

        var sol = output.Candles.Single(c => c.CoinId == "sol" && c.Interval == "1m");
        Assert.Equal((20d, 1, T0.AddSeconds(45)), (sol.Open, sol.TickCount, sol.FirstEventTime));
        Assert.Equal(T0, sol.WindowStart);
    }

    [Fact]
    public void Each_changed_window_is_emitted_once_per_batch_with_its_tick_count_as_version()
    {
        var output = Run(At("btc", 0, 1), At("btc", 10, 2), At("btc", 20, 3), At("eth", 5, 10));

        Assert.Equal(6, output.Candles.Count); // two coins x three intervals
        Assert.All(output.Candles.Where(c => c.CoinId == "btc"), c => Assert.Equal(3, c.Version));
    }

    [Fact]
    public void An_outlier_return_raises_a_zscore_alert_with_a_deterministic_id()
    {
        var calm = Enumerable.Range(0, 31).Select(i => At("btc", i * 60, 100 * Math.Exp(0.001 * (i % 2 == 0 ? 1 : -1) * (i % 3))));
        var output = Run([.. calm, At("btc", 31 * 60, 100 * 1.03)]);

        var alert = Assert.Single(output.Alerts, a => a.Kind == AlertKind.ZScore);
        Assert.Equal(MarketAlert.IdFor("btc", T0.AddMinutes(31), AlertKind.ZScore), alert.AlertId);
        Assert.True(alert.Value > 4, $"z = {alert.Value}");
    }

    [Fact]
    public void A_stablecoin_that_never_moves_raises_no_zscore_alert()
    {
        var output = Run([.. Enumerable.Range(0, 40).Select(i => At("usdt", i * 60, 1.0))]);

        Assert.DoesNotContain(output.Alerts, a => a.Kind == AlertKind.ZScore);
    }

    [Fact]
    public void A_big_move_inside_a_window_raises_one_alert_per_window_and_interval()
    {
        var output = Run(At("sol", 0, 100), At("sol", 20, 103), At("sol", 40, 106), At("sol", 50, 108));

        var moves = output.Alerts.Where(a => a.Kind == AlertKind.WindowMove).ToList();
        Assert.Equal(["1h", "1m", "5m"], moves.Select(a => a.Interval!).Order());
        Assert.All(moves, a => Assert.Equal(T0.AddSeconds(40), a.EventTime));
        Assert.All(moves, a => Assert.Equal(6, a.Value, 9));
    }

    [Fact]
    public void Outputs_do_not_depend_on_how_the_stream_is_cut_into_batches()
    {
        var market = Market(coins: 8, minutes: 30);
        var whole = Collect(market, batchSize: market.Count);
        var small = Collect(market, batchSize: 7);
        var single = Collect(market, batchSize: 1);

        small.AssertEqual(whole);
        single.AssertEqual(whole);
        Assert.Contains(whole.Candles.Values, c => c.Final);
    }

    [Fact]
    public void State_restored_from_its_JSON_checkpoint_continues_exactly_like_the_original()
    {
        var market = Market(coins: 5, minutes: 20);
        var reference = Collect(market, batchSize: 10);

        var transform = new StreamTransform(new TransformOptions());
        var state = new PartitionState();
        var view = new StoreView();
        Feed(transform, state, market.Take(47).ToList(), view);
        var restored = JsonSerializer.Deserialize<PartitionState>(JsonSerializer.Serialize(state))!;
        restored.RebuildIndexes();
        Feed(transform, restored, market.Skip(47).ToList(), view);

        view.AssertEqual(reference);
    }

    [Fact]
    public void The_real_CoinGecko_snapshot_becomes_ticks_and_candles()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "coins-markets-usd-2024-01-01.json")));
        var snapshots = json.RootElement.EnumerateArray().Select(c => new MarketSnapshot
        {
            Id = c.GetProperty("id").GetString()!, Symbol = c.GetProperty("symbol").GetString()!, Name = c.GetProperty("name").GetString()!,
            CurrentPrice = c.GetProperty("current_price").GetDouble(), TotalVolume = c.GetProperty("total_volume").GetDouble(),
            LastUpdated = DateTimeOffset.Parse(c.GetProperty("last_updated").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            RunId = "r", Source = DataSource.CoinGecko, FetchedAt = T0, VsCurrency = "usd",
        }).ToArray();

        var output = Run(snapshots);

        Assert.Equal(17, output.Ticks.Count);
        Assert.Equal(17 * 3, output.Candles.Count);
        Assert.Empty(output.Late);
        var tether = output.Candles.Single(c => c.CoinId == "tether" && c.Interval == "1h");
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 15, 0, 0, TimeSpan.Zero), tether.WindowStart);
        Assert.Equal(1.001, tether.Close);
    }

    [Theory]
    [InlineData("1m,fortnight", "is not a candle interval")]
    [InlineData("", "needs at least one interval")]
    [InlineData("1m,60s", "lists the same length twice")]
    public void Bad_intervals_are_refused_with_a_clear_message(string intervals, string message)
    {
        var problems = new TransformOptions { Intervals = intervals }.Problems();

        Assert.Contains(problems, p => p.Contains(message, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new StreamTransform(new TransformOptions { Intervals = intervals }));
    }

    private static StoreView Collect(List<MarketSnapshot> market, int batchSize)
    {
        var view = new StoreView();
        Feed(new StreamTransform(new TransformOptions()), new PartitionState(), market, view, batchSize);
        return view;
    }

    private static void Feed(StreamTransform transform, PartitionState state, List<MarketSnapshot> snapshots, StoreView view, int batchSize = 10)
    {
        foreach (var batch in snapshots.Chunk(batchSize))
        {
            var output = new TransformOutput();
            for (var i = 0; i < batch.Length; i++)
            {
                transform.Process(state, batch[i], i, output);
            }

            transform.CompleteBatch(output);
            output.Ticks.ForEach(view.Add);
            output.Candles.ForEach(view.Add);
            output.Alerts.ForEach(view.Add);
        }
    }
}
