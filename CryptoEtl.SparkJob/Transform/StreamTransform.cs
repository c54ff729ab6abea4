using System.Globalization;
using CryptoEtl.Contracts.Market;

namespace CryptoEtl.SparkJob.Transform;

/// <summary>
/// The transformation, one definition for every executor. Per input partition, in arrival order:
/// <list type="number">
/// <item>Ticks: drop duplicates of (coin, last_updated); a tick one of whose windows is already final is late;
/// otherwise emit a PriceTick with change, percent change and log return against the coin's previous tick by event time.</item>
/// <item>Candles: OHLC per coin for each tumbling event-time interval. The watermark is the partition's newest event time
/// minus the allowed lateness; a window is final once the watermark reaches its end. Changed windows are emitted once per
/// batch with version = their tick count, and once more with final = true and version = count + 1.</item>
/// <item>Alerts: the z-score of a coin's newest log return against its last N returns, and a move of more than X %
/// between a window's open and its latest price (once per window). Alert ids depend only on coin, event time and kind.</item>
/// </list>
/// Everything depends only on the records and their order in the partition, so replaying a partition from a checkpoint
/// gives the same outputs, whatever the batching and whichever instance owns the partition.
/// </summary>
public sealed class StreamTransform
{
    private readonly IReadOnlyList<CandleInterval> _intervals;
    private readonly long _lateness;
    private readonly TransformOptions _options;

    public StreamTransform(TransformOptions options)
    {
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _intervals = options.ParsedIntervals();
        _lateness = (long)options.AllowedLateness.TotalMilliseconds;
    }

    public IReadOnlyList<CandleInterval> Intervals => _intervals;

    /// <summary>The partition's watermark (Unix ms), or null before its first tick.</summary>
    public long? Watermark(PartitionState state) => state.MaxEventTime - _lateness;

    /// <summary>Processes one snapshot (the <paramref name="index"/>-th of the batch) into <paramref name="output"/>.</summary>
    public void Process(PartitionState state, MarketSnapshot snapshot, int index, TransformOutput output)
    {
        var time = snapshot.LastUpdated.ToUnixTimeMilliseconds();
        if (!state.Coins.TryGetValue(snapshot.Id, out var coin))
        {
            coin = new CoinState();
            state.Coins[snapshot.Id] = coin;
        }

        var position = coin.Recent.BinarySearch(new TickPoint(time, 0), TickTimeOrder.Instance);
        if (position >= 0)
        {
            output.Duplicates++;
            return;
        }

        if (Watermark(state) is { } watermark && FirstWindowEnd(time) <= watermark)
        {
            output.Late.Add(index);
            return;
        }

        state.ChangedCoins.Add(snapshot.Id);
        var insertAt = ~position;
        var previous = insertAt > 0 ? coin.Recent[insertAt - 1] : null;
        var isNewest = insertAt == coin.Recent.Count;
        coin.Recent.Insert(insertAt, new TickPoint(time, snapshot.CurrentPrice));

        var tick = TickOf(snapshot, previous?.Price);
        output.Ticks.Add(tick);

        if (isNewest && tick.LogReturn is { } r)
        {
            CheckZScore(snapshot, coin, r, output);
        }

        foreach (var interval in _intervals)
        {
            UpdateWindow(state, snapshot, coin, interval, time, output);
        }

        if (state.MaxEventTime is not { } max || time > max)
        {
            state.MaxEventTime = time;
            FinalizeWindows(state, output);
        }

        Prune(state, coin);
    }

    /// <summary>Ends a batch: emits the latest state of every window changed in it and not finalized since.</summary>
    public void CompleteBatch(TransformOutput output)
    {
        foreach (var (coin, window) in output.Changed)
        {
            if (!window.Finalized)
            {
                output.Candles.Add(ToCandle(coin, window, final: false));
            }
        }

        output.Changed.Clear();
    }

    /// <summary>The earliest end among the tick's windows: once the watermark reaches it, one of them is final and the tick is late.</summary>
    private long FirstWindowEnd(long time)
    {
        var end = long.MaxValue;
        foreach (var interval in _intervals)
        {
            end = Math.Min(end, interval.WindowStart(time) + interval.Milliseconds);
        }

        return end;
    }

    /// <summary>A snapshot as a tick, with its change against the coin's previous price (null for its first).</summary>
    public static PriceTick TickOf(MarketSnapshot snapshot, double? previousPrice) => new()
    {
        CoinId = snapshot.Id,
        Symbol = snapshot.Symbol,
        EventTime = snapshot.LastUpdated,
        Price = snapshot.CurrentPrice,
        MarketCap = snapshot.MarketCap,
        TotalVolume = snapshot.TotalVolume,
        MarketCapRank = snapshot.MarketCapRank,
        PreviousPrice = previousPrice,
        Change = snapshot.CurrentPrice - previousPrice,
        ChangePct = 100 * (snapshot.CurrentPrice - previousPrice) / previousPrice,
        LogReturn = previousPrice is { } p ? Math.Log(snapshot.CurrentPrice / p) : null,
        VsCurrency = snapshot.VsCurrency,
        Source = snapshot.Source,
        RunId = snapshot.RunId,
    };

    private void CheckZScore(MarketSnapshot snapshot, CoinState coin, double logReturn, TransformOutput output)
    {
        var returns = coin.Returns;
        if (returns.Count >= _options.ZScoreMinReturns)
        {
            var mean = 0.0;
            foreach (var value in returns)
            {
                mean += value;
            }

            mean /= returns.Count;
            var variance = 0.0;
            foreach (var value in returns)
            {
                variance += (value - mean) * (value - mean);
            }

            var deviation = Math.Sqrt(variance / (returns.Count - 1));
            // A flat history (a stablecoin, a coin that did not move) has no meaningful z-score.
            if (deviation > 1e-12)
            {
                var z = (logReturn - mean) / deviation;
                if (Math.Abs(z) > _options.ZScoreThreshold)
                {
                    output.Alerts.Add(new MarketAlert
                    {
                        AlertId = MarketAlert.IdFor(snapshot.Id, snapshot.LastUpdated, AlertKind.ZScore),
                        CoinId = snapshot.Id,
                        Kind = AlertKind.ZScore,
                        EventTime = snapshot.LastUpdated,
                        Price = snapshot.CurrentPrice,
                        Value = z,
                        Threshold = _options.ZScoreThreshold,
                        Message = string.Create(CultureInfo.InvariantCulture,
                            $"{snapshot.Id} log return {logReturn:0.######} is {z:0.##} standard deviations from its last {returns.Count} returns"),
                    });
                }
            }
        }

        returns.Add(logReturn);
        if (returns.Count > _options.ZScoreWindow)
        {
            returns.RemoveAt(0);
        }
    }

    private void UpdateWindow(PartitionState state, MarketSnapshot snapshot, CoinState coin, CandleInterval interval, long time, TransformOutput output)
    {
        var start = interval.WindowStart(time);
        WindowState? window = null;
        foreach (var candidate in coin.Windows)
        {
            if (candidate.Start == start && candidate.Interval == interval.Name)
            {
                window = candidate;
                break;
            }
        }

        var price = snapshot.CurrentPrice;
        if (window is null)
        {
            window = new WindowState
            {
                Interval = interval.Name, Start = start, End = start + interval.Milliseconds,
                Open = price, OpenTime = time, Close = price, CloseTime = time, High = price, Low = price,
            };
            coin.Windows.Add(window);
            state.Deadlines.Enqueue((snapshot.Id, window), window.End);
        }

        if (time < window.OpenTime)
        {
            (window.Open, window.OpenTime) = (price, time);
        }

        if (time >= window.CloseTime)
        {
            (window.Close, window.CloseTime, window.Volume24h) = (price, time, snapshot.TotalVolume);
        }

        window.High = Math.Max(window.High, price);
        window.Low = Math.Min(window.Low, price);
        window.Count++;
        output.Changed.Add((snapshot.Id, window));

        var move = 100 * ((window.Close / window.Open) - 1);
        if (!window.MoveAlerted && Math.Abs(move) > _options.WindowMovePercent)
        {
            window.MoveAlerted = true;
            output.Alerts.Add(new MarketAlert
            {
                AlertId = MarketAlert.IdFor(snapshot.Id, snapshot.LastUpdated, AlertKind.WindowMove, interval.Name),
                CoinId = snapshot.Id,
                Kind = AlertKind.WindowMove,
                EventTime = snapshot.LastUpdated,
                Price = price,
                Value = move,
                Threshold = _options.WindowMovePercent,
                Interval = interval.Name,
                WindowStart = DateTimeOffset.FromUnixTimeMilliseconds(start),
                Message = string.Create(CultureInfo.InvariantCulture, $"{snapshot.Id} moved {move:+0.##;-0.##}% inside its {interval.Name} window"),
            });
        }
    }

    private void FinalizeWindows(PartitionState state, TransformOutput output)
    {
        var watermark = Watermark(state)!.Value;
        while (state.Deadlines.TryPeek(out var due, out var end) && end <= watermark)
        {
            state.Deadlines.Dequeue();
            var (coinId, window) = due;
            window.Finalized = true;
            state.Coins[coinId].Windows.Remove(window);
            state.ChangedCoins.Add(coinId);
            output.Candles.Add(ToCandle(coinId, window, final: true));
        }
    }

    /// <summary>Forgets ticks too old to matter (older than the watermark minus the longest interval: late anyway), keeping the newest.</summary>
    private void Prune(PartitionState state, CoinState coin)
    {
        if (Watermark(state) is not { } watermark)
        {
            return;
        }

        var horizon = watermark - _intervals[^1].Milliseconds;
        var stale = 0;
        while (stale < coin.Recent.Count - 1 && coin.Recent[stale].Time < horizon)
        {
            stale++;
        }

        if (stale > 0)
        {
            coin.Recent.RemoveRange(0, stale);
        }
    }

    private static Candle ToCandle(string coin, WindowState window, bool final) => new()
    {
        CoinId = coin,
        Interval = window.Interval,
        WindowStart = DateTimeOffset.FromUnixTimeMilliseconds(window.Start),
        WindowEnd = DateTimeOffset.FromUnixTimeMilliseconds(window.End),
        Open = window.Open,
        High = window.High,
        Low = window.Low,
        Close = window.Close,
        Volume24h = window.Volume24h,
        TickCount = window.Count,
        FirstEventTime = DateTimeOffset.FromUnixTimeMilliseconds(window.OpenTime),
        LastEventTime = DateTimeOffset.FromUnixTimeMilliseconds(window.CloseTime),
        Version = final ? window.Count + 1 : window.Count,
        Final = final,
    };

    private sealed class TickTimeOrder : IComparer<TickPoint>
    {
        public static readonly TickTimeOrder Instance = new();

        public int Compare(TickPoint? x, TickPoint? y) => x!.Time.CompareTo(y!.Time);
    }
}
