using CryptoEtl.Contracts.Market;
using LiteDB;

namespace CryptoEtl.Processor.Storage.LiteDb;

/// <summary>
/// The embedded store: one LiteDB file in the state directory. A batch is one transaction, so it is all there or
/// not there at all after a crash. LiteDB has no TTL indexes; tick retention is a periodic delete (see RetentionService).
/// Tick and candle ids start with the coin (and interval) and end with the Unix milliseconds of the event (13 digits
/// for any date from 2001 to 2286), so their primary key orders them by coin and time: range queries need no secondary
/// index, and every secondary index would cost write throughput (measured in bench/: about a third).
/// </summary>
public sealed class LiteDbMarketStore : IMarketStore
{
    private readonly LiteDatabase _database;
    private readonly string _path;

    public LiteDbMarketStore(string path)
    {
        _path = path;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _database = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }) { UtcDate = true };
    }

    public string Description => $"LiteDB {_path}";

    public Task InitializeAsync(CancellationToken cancellation)
    {
        Alerts.EnsureIndex("event_time");
        Latest.EnsureIndex("market_cap");
        return Task.CompletedTask;
    }

    public Task<WriteSummary> WriteAsync(StoreBatch batch, CancellationToken cancellation)
    {
        var written = Collections.All.ToDictionary(c => c, _ => 0L);
        var stale = Collections.All.ToDictionary(c => c, _ => 0L);
        _database.BeginTrans();
        try
        {
            written[Collections.Ticks] = batch.Ticks.Count;
            Ticks.Upsert(batch.Ticks.Select(t => ToBson(StoreDocuments.Tick(t))));

            foreach (var tick in batch.NewestPerCoin())
            {
                Count(UpsertIfNewer(Latest, StoreDocuments.Latest(tick), "event_time"), Collections.Latest, written, stale);
            }

            foreach (var candle in batch.Candles)
            {
                Count(UpsertIfNewer(Candles, StoreDocuments.Candle(candle), "version"), Collections.Candles, written, stale);
            }

            foreach (var alert in batch.Alerts)
            {
                Alerts.Upsert(ToBson(StoreDocuments.Alert(alert)));
                written[Collections.Alerts]++;
            }

            _database.Commit();
        }
        catch
        {
            _database.Rollback();
            throw;
        }

        return Task.FromResult(new WriteSummary(written, stale));
    }

    public Task<IReadOnlyList<PriceTick>> LatestAsync(CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyList<PriceTick>>(Latest.FindAll().Select(d => StoreDocuments.ToTick(ToDictionary(d))).ToList());

    public Task<PriceTick?> LatestAsync(string coinId, CancellationToken cancellation) =>
        Task.FromResult(Latest.FindById(coinId) is { } d ? StoreDocuments.ToTick(ToDictionary(d)) : null);

    public Task<IReadOnlyList<Candle>> CandlesAsync(string coinId, string interval, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyList<Candle>>(Candles.Query()
            .Where(IdRange($"{coinId}|{interval}|", from, to))
            .OrderByDescending("_id")
            .Limit(limit)
            .ToEnumerable()
            .Select(d => StoreDocuments.ToCandle(ToDictionary(d)))
            .ToList());

    public Task<IReadOnlyList<MarketAlert>> AlertsAsync(DateTimeOffset since, int limit, CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyList<MarketAlert>>(Alerts.Query()
            .Where(Query.GTE("event_time", since.UtcDateTime))
            .OrderByDescending("event_time")
            .Limit(limit)
            .ToEnumerable()
            .Select(d => StoreDocuments.ToAlert(d["_id"].AsString, ToDictionary(d)))
            .ToList());

    public Task<IReadOnlyList<PriceTick>> TicksAsync(string coinId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyList<PriceTick>>(Ticks.Query()
            .Where(IdRange($"{coinId}|", from, to))
            .OrderBy("_id")
            .Limit(limit)
            .ToEnumerable()
            .Select(d => StoreDocuments.ToTick(ToDictionary(d)))
            .ToList());

    public Task<IReadOnlyDictionary<string, DateTimeOffset?>> NewestAsync(CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyDictionary<string, DateTimeOffset?>>(new Dictionary<string, DateTimeOffset?>
        {
            [Collections.Ticks] = Newest(Ticks, "event_time"),
            [Collections.Candles] = Newest(Candles, "last_event_time"),
            [Collections.Latest] = Newest(Latest, "event_time"),
            [Collections.Alerts] = Newest(Alerts, "event_time"),
        });

    public Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyDictionary<string, long>>(Collections.All.ToDictionary(c => c, c => _database.GetCollection(c).LongCount()));

    public Task<long> DeleteTicksBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellation) =>
        Task.FromResult((long)Ticks.DeleteMany(Query.LT("event_time", cutoff.UtcDateTime)));

    public ValueTask DisposeAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }

    private ILiteCollection<BsonDocument> Ticks => _database.GetCollection(Collections.Ticks);

    private ILiteCollection<BsonDocument> Candles => _database.GetCollection(Collections.Candles);

    private ILiteCollection<BsonDocument> Latest => _database.GetCollection(Collections.Latest);

    private ILiteCollection<BsonDocument> Alerts => _database.GetCollection(Collections.Alerts);

    /// <summary>Ids from <paramref name="prefix"/>from to <paramref name="prefix"/>to (exclusive), in Unix milliseconds.</summary>
    private static BsonExpression IdRange(string prefix, DateTimeOffset from, DateTimeOffset to) => Query.And(
        Query.GTE("_id", prefix + Math.Max(0, from.ToUnixTimeMilliseconds()).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Query.LT("_id", prefix + Math.Max(0, to.ToUnixTimeMilliseconds()).ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Writes the document unless the stored one has an equal or greater <paramref name="field"/>.</summary>
    private static bool UpsertIfNewer(ILiteCollection<BsonDocument> collection, StoreDocument document, string field)
    {
        var candidate = ToBson(document);
        if (collection.FindById(document.Id) is { } stored && stored[field].CompareTo(candidate[field]) >= 0)
        {
            return false;
        }

        collection.Upsert(candidate);
        return true;
    }

    private static void Count(bool wrote, string collection, Dictionary<string, long> written, Dictionary<string, long> stale) =>
        (wrote ? written : stale)[collection]++;

    private static DateTimeOffset? Newest(ILiteCollection<BsonDocument> collection, string field) =>
        collection.Query().OrderByDescending(field).Limit(1).FirstOrDefault() is { } d && d[field].IsDateTime
            ? new DateTimeOffset(DateTime.SpecifyKind(d[field].AsDateTime, DateTimeKind.Utc))
            : null;

    private static BsonDocument ToBson(StoreDocument document)
    {
        var bson = new BsonDocument { ["_id"] = document.Id };
        foreach (var (name, value) in document.Fields)
        {
            if (value is null)
            {
                continue; // absent reads back as null, and every stored field costs write throughput
            }

            bson[name] = value switch
            {
                string s => new BsonValue(s),
                double d => new BsonValue(d),
                int i => new BsonValue(i),
                long l => new BsonValue(l),
                bool b => new BsonValue(b),
                DateTime t => new BsonValue(t),
                _ => throw new InvalidOperationException($"No BSON mapping for {value.GetType().Name} ({name})."),
            };
        }

        return bson;
    }

    private static Dictionary<string, object?> ToDictionary(BsonDocument document) =>
        document.ToDictionary(kv => kv.Key, kv => kv.Value.IsDateTime ? DateTime.SpecifyKind(kv.Value.AsDateTime, DateTimeKind.Utc) : (object?)kv.Value.RawValue);
}
