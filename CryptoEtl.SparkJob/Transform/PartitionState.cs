using System.Text.Json.Serialization;

namespace CryptoEtl.SparkJob.Transform;

/// <summary>
/// Everything the transformation remembers for one input partition: its watermark and, per coin, recent ticks
/// (for dedupe and the previous price), recent log returns (for z-scores) and open candle windows.
/// It is the unit of checkpointing, so one partition's state can move to another instance.
/// </summary>
public sealed class PartitionState
{
    /// <summary>Newest event time seen in the partition (Unix ms); null before the first tick.</summary>
    public long? MaxEventTime { get; set; }

    public Dictionary<string, CoinState> Coins { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Open windows ordered by end, so the watermark finalizes them without scanning every coin.</summary>
    [JsonIgnore]
    internal PriorityQueue<(string Coin, WindowState Window), long> Deadlines { get; } = new();

    /// <summary>Coins whose state changed since the last checkpoint: what the next incremental checkpoint writes.</summary>
    [JsonIgnore]
    internal HashSet<string> ChangedCoins { get; } = new(StringComparer.Ordinal);

    /// <summary>Rebuilds what is derived from the saved state (after loading a checkpoint).</summary>
    public void RebuildIndexes()
    {
        Deadlines.Clear();
        foreach (var (coin, state) in Coins)
        {
            foreach (var window in state.Windows)
            {
                Deadlines.Enqueue((coin, window), window.End);
            }
        }
    }
}

public sealed class CoinState
{
    /// <summary>Recent accepted ticks, sorted by event time; the newest one is always kept.</summary>
    public List<TickPoint> Recent { get; set; } = [];

    /// <summary>The coin's most recent log returns (in-order ticks only), oldest first, at most ZScoreWindow.</summary>
    public List<double> Returns { get; set; } = [];

    public List<WindowState> Windows { get; set; } = [];

    [JsonIgnore]
    public long LatestTime => Recent.Count == 0 ? long.MinValue : Recent[^1].Time;
}

public sealed record TickPoint(long Time, double Price);

/// <summary>One open candle window.</summary>
public sealed class WindowState
{
    public required string Interval { get; set; }
    public required long Start { get; set; }
    public required long End { get; set; }
    public double Open { get; set; }
    public long OpenTime { get; set; }
    public double Close { get; set; }
    public long CloseTime { get; set; }
    public double High { get; set; }
    public double Low { get; set; }
    public double? Volume24h { get; set; }

    /// <summary>Ticks in the window so far; also the version of its updates, so versions do not depend on batching.</summary>
    public int Count { get; set; }

    public bool MoveAlerted { get; set; }

    [JsonIgnore]
    public bool Finalized { get; set; }
}
