using CryptoEtl.Contracts.Market;

namespace CryptoEtl.Processor.Storage;

/// <summary>
/// Where the pipeline's results live: MongoDB, or LiteDB in the embedded run. Both implementations pass the same
/// contract tests. Writes are idempotent: ticks and alerts by id, candles only when their version is newer, the latest
/// quote only when its event time is newer.
/// </summary>
public interface IMarketStore : IAsyncDisposable
{
    /// <summary>For logs and status: which store, where (never credentials).</summary>
    string Description { get; }

    /// <summary>Creates indexes (and the ticks retention, when configured). Safe to run at every start.</summary>
    Task InitializeAsync(CancellationToken cancellation);

    /// <summary>Writes a batch; returns once the store acknowledged all of it (throws otherwise).</summary>
    Task<WriteSummary> WriteAsync(StoreBatch batch, CancellationToken cancellation);

    /// <summary>
    /// Up to <paramref name="limit"/> of the coins' newest quotes in page-key order (market cap descending, coins without
    /// one last, then coin id: <see cref="StoreDocuments.CoinPageKey"/>), after the one whose page key is
    /// <paramref name="afterKey"/>, or from the first when it is null. One index range: the cost is the page's, not the market's.
    /// </summary>
    Task<IReadOnlyList<PriceTick>> LatestPageAsync(string? afterKey, int limit, CancellationToken cancellation);

    /// <summary>The sum of the market caps of the coins' newest quotes (reads every coin's quote).</summary>
    Task<double> TotalMarketCapAsync(CancellationToken cancellation);

    Task<PriceTick?> LatestAsync(string coinId, CancellationToken cancellation);

    /// <summary>Candles of one coin and interval with window_start in [from, to), newest first.</summary>
    Task<IReadOnlyList<Candle>> CandlesAsync(string coinId, string interval, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation);

    /// <summary>Alerts with event time at or after <paramref name="since"/>, newest first.</summary>
    Task<IReadOnlyList<MarketAlert>> AlertsAsync(DateTimeOffset since, int limit, CancellationToken cancellation);

    /// <summary>Ticks of one coin in [from, to), oldest first.</summary>
    Task<IReadOnlyList<PriceTick>> TicksAsync(string coinId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation);

    /// <summary>The newest event time in each collection (null when empty).</summary>
    Task<IReadOnlyDictionary<string, DateTimeOffset?>> NewestAsync(CancellationToken cancellation);

    /// <summary>Answers when the store does (a cheap round trip, for /health); throws when it does not.</summary>
    Task PingAsync(CancellationToken cancellation);

    /// <summary>Documents per collection.</summary>
    Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellation);

    /// <summary>Deletes ticks older than the cutoff (retention); returns how many.</summary>
    Task<long> DeleteTicksBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellation);
}

/// <summary>One batch of documents to write, already reduced (one entry per id: the newest).</summary>
public sealed record StoreBatch(IReadOnlyList<PriceTick> Ticks, IReadOnlyList<Candle> Candles, IReadOnlyList<MarketAlert> Alerts)
{
    public int Count => Ticks.Count + Candles.Count + Alerts.Count;

    /// <summary>
    /// Keeps, per id, the tick (any: they are equal), the highest candle version and each alert once, so a batch never
    /// writes the same document twice.
    /// </summary>
    public static StoreBatch Reduce(IEnumerable<PriceTick> ticks, IEnumerable<Candle> candles, IEnumerable<MarketAlert> alerts) => new(
        ticks.DistinctBy(t => StoreDocuments.TickId(t.CoinId, t.EventTime)).ToList(),
        candles.GroupBy(c => c.WindowId).Select(g => g.MaxBy(c => c.Version)!).ToList(),
        alerts.DistinctBy(a => a.AlertId).ToList());

    /// <summary>The newest tick of each coin in the batch: candidates for the latest collection.</summary>
    public IReadOnlyList<PriceTick> NewestPerCoin() => Ticks.GroupBy(t => t.CoinId).Select(g => g.MaxBy(t => t.EventTime)!).ToList();
}

/// <summary>What a write did, per collection: documents written, and updates skipped because the store had newer.</summary>
public sealed record WriteSummary(IReadOnlyDictionary<string, long> Written, IReadOnlyDictionary<string, long> Stale);
