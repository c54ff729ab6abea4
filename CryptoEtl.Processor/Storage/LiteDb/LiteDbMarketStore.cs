using CryptoEtl.Contracts.Market;
using CryptoEtl.ServiceDefaults.Failures;
using LiteDB;

namespace CryptoEtl.Processor.Storage.LiteDb;

/// <summary>
/// The embedded store: one LiteDB file in the state directory. A batch is one transaction, synced to disk before
/// WriteAsync returns, so after a crash it is all there or not there at all. LiteDB has no TTL indexes; tick retention
/// is a periodic delete (see RetentionService).
/// Tick and candle ids start with the coin (and interval) and end with the Unix milliseconds of the event (13 digits
/// for any date from 2001 to 2286), so their primary key orders them by coin and time: range queries need no secondary
/// index, and every secondary index would cost write throughput (measured in bench/: about a third).
/// A failure of the file (no space left, an I/O error) is an outage (<see cref="OutageException"/>): LiteDB may keep
/// pages in memory that the failed write left half done (seen here: after a full disk, every later write failed with
/// "empty page must be defined as empty type"), so the database is closed and opened again on the next call, which
/// replays its log; the store comes back by itself once the disk does.
/// </summary>
public sealed class LiteDbMarketStore : IMarketStore
{
    /// <summary>LiteDB's errors about a document rather than the file (a key or value it cannot hold).</summary>
    private static readonly HashSet<int> AboutTheDocument =
    [
        LiteException.INDEX_DUPLICATE_KEY, LiteException.INVALID_INDEX_KEY, LiteException.INVALID_FORMAT, LiteException.DOCUMENT_MAX_DEPTH,
        LiteException.INVALID_DATA_TYPE, LiteException.INVALID_NULL_CHAR_STRING,
    ];

    private readonly string _path;
    private LiteDatabase? _opened;

    /// <summary>
    /// Per coin, the event time (Unix ms) of the newest tick this store inserted. A tick newer than that is taken for
    /// new and inserted without the lookup an upsert makes (a third faster); older ones, redeliveries among them, are
    /// upserted. A coin it has not written since it opened is taken for new too (see <see cref="WriteAsync"/>).
    /// </summary>
    private readonly Dictionary<string, long> _newestStoredTick = new(StringComparer.Ordinal);

    /// <summary>
    /// Per latest and candle document, the version field it has in the file (event_time in ticks, or version), as this
    /// store last wrote or read it: an update then needs no read first (that read was a fifth of the loader's time,
    /// measured with dotnet-trace during bench/ pipeline). A final candle leaves it (its window is closed: only a replay
    /// writes it again), so it holds a quote per coin and the open windows, about four entries a coin, each a number
    /// rather than a BsonValue. Cleared when a transaction rolls back, and, as a bound, past
    /// <see cref="MaxKnownVersions"/>: it was 200,000 and cleared whole when full, which at 100,000 coins (400,000 open
    /// documents) happened twice a pass and made every lookup a read again.
    /// </summary>
    private readonly Dictionary<(string Collection, string Id), long> _knownVersions = [];

    private const int MaxKnownVersions = 1_000_000;

    private readonly Lock _gate = new();

    public LiteDbMarketStore(string path)
    {
        _path = path;
    }

    /// <summary>
    /// Syncs the LiteDB database at <paramref name="path"/> to disk. LiteDB writes a commit into its log file
    /// (<c>name-log.ext</c>) without syncing it, and syncs the data file only when it moves the log into it (a
    /// checkpoint), so a commit survives a crash of the process but not of the machine until this has run.
    /// On Windows this does nothing: LiteDB keeps the log open without sharing write access, and Windows syncs a file
    /// only through a handle that may write.
    /// </summary>
    public static void SyncToDisk(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var log = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $"{Path.GetFileNameWithoutExtension(path)}-log{Path.GetExtension(path)}");
        try
        {
            using var handle = File.OpenHandle(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.FlushToDisk(handle);
        }
        catch (FileNotFoundException)
        {
            // No log: everything is in the data file, which the checkpoint synced.
        }
    }

    public string Description => $"LiteDB {_path}";

    public Task InitializeAsync(CancellationToken cancellation) => Locked(() =>
    {
        Alerts.EnsureIndex("event_time");
        Latest.DropIndex("market_cap"); // before paging, nothing read by it
        Latest.EnsureIndex(StoreDocuments.CoinPageKeyField);
        // Quotes stored before paging have no page key: given one now, or no page would show them.
        foreach (var quote in Latest.Find(Parameterized.Equal(StoreDocuments.CoinPageKeyField, BsonValue.Null)).ToList())
        {
            quote[StoreDocuments.CoinPageKeyField] = StoreDocuments.CoinPageKey(StoreDocuments.ToTick(ToDictionary(quote)));
            Latest.Update(quote);
        }

        Candles.EnsureIndex("last_event_time"); // for the freshness check, which would otherwise read every candle
        return true;
    });

    /// <summary>
    /// Writes the batch in one transaction, first taking every document the store does not know to be in the file for
    /// new: inserted without looking it up (a whole market's first pass is nothing but new documents; at 100,000 coins
    /// the lookups were a seventh of the loader's time). If one was there after all (a replay after a restart, or a
    /// tick whose id does not order by time: an event time outside 2001-2286), the insert fails on its key, the
    /// transaction is rolled back, and the batch is written again the careful way: each document looked up first.
    /// </summary>
    public Task<WriteSummary> WriteAsync(StoreBatch batch, CancellationToken cancellation) => Locked(() =>
    {
        try
        {
            return Write(batch, insertUnknown: true);
        }
        catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            _newestStoredTick.Clear();
            return Write(batch, insertUnknown: false);
        }
    });

    private WriteSummary Write(StoreBatch batch, bool insertUnknown)
    {
        var written = Collections.All.ToDictionary(c => c, _ => 0L);
        var stale = Collections.All.ToDictionary(c => c, _ => 0L);
        var newestPerCoin = batch.NewestPerCoin();
        Database.BeginTrans();
        try
        {
            WriteTicks(batch.Ticks, insertUnknown);
            written[Collections.Ticks] = batch.Ticks.Count;

            foreach (var tick in newestPerCoin)
            {
                Count(UpsertIfNewer(Latest, StoreDocuments.Latest(tick), "event_time", insertUnknown), Collections.Latest, written, stale);
            }

            foreach (var candle in batch.Candles)
            {
                var document = StoreDocuments.Candle(candle);
                Count(UpsertIfNewer(Candles, document, "version", insertUnknown), Collections.Candles, written, stale);
                if (candle.Final)
                {
                    _knownVersions.Remove((Collections.Candles, document.Id));
                }
            }

            foreach (var alert in batch.Alerts)
            {
                Alerts.Upsert(ToBson(StoreDocuments.Alert(alert)));
                written[Collections.Alerts]++;
            }

            Database.Commit();
        }
        catch
        {
            _knownVersions.Clear();
            try
            {
                Database.Rollback();
            }
            catch (Exception e) when (e is IOException or LiteException)
            {
                // The file failed: Locked closes the database, and opening it again rolls the transaction back.
            }

            throw;
        }

        SyncToDisk(_path);
        if (insertUnknown)
        {
            foreach (var tick in newestPerCoin)
            {
                _newestStoredTick[tick.CoinId] = Math.Max(NewestStoredTick(tick.CoinId), tick.EventTime.ToUnixTimeMilliseconds());
            }
        }

        return new WriteSummary(written, stale);
    }

    /// <summary>Inserts the ticks newer than every tick this store inserted for their coin, and upserts the others.</summary>
    private void WriteTicks(IReadOnlyList<PriceTick> ticks, bool insertUnknown)
    {
        if (!insertUnknown)
        {
            Ticks.Upsert(ticks.Select(t => ToBson(StoreDocuments.Tick(t))));
            return;
        }

        var fresh = new List<BsonDocument>(ticks.Count);
        var known = new List<BsonDocument>();
        foreach (var tick in ticks)
        {
            (tick.EventTime.ToUnixTimeMilliseconds() > NewestStoredTick(tick.CoinId) ? fresh : known).Add(ToBson(StoreDocuments.Tick(tick)));
        }

        Ticks.Insert(fresh);
        Ticks.Upsert(known);
    }

    private long NewestStoredTick(string coinId) => _newestStoredTick.GetValueOrDefault(coinId, long.MinValue);

    public Task<IReadOnlyList<PriceTick>> LatestPageAsync(string? afterKey, int limit, CancellationToken cancellation) =>
        Locked<IReadOnlyList<PriceTick>>(() => (afterKey is null ? Latest.Query() : Latest.Query().Where(Parameterized.Greater(StoreDocuments.CoinPageKeyField, afterKey)))
            .OrderBy(StoreDocuments.CoinPageKeyField)
            .Limit(limit)
            .ToEnumerable()
            .Select(d => StoreDocuments.ToTick(ToDictionary(d)))
            .ToList());

    public Task<double> TotalMarketCapAsync(CancellationToken cancellation) =>
        Locked(() => Latest.Query().Select("{ cap: $.market_cap }").ToEnumerable().Sum(d => d["cap"].IsNumber ? d["cap"].AsDouble : 0));

    public Task<PriceTick?> LatestAsync(string coinId, CancellationToken cancellation) =>
        Locked(() => Latest.ById(coinId) is { } d ? StoreDocuments.ToTick(ToDictionary(d)) : null);

    public Task<IReadOnlyList<Candle>> CandlesAsync(string coinId, string interval, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation) =>
        Locked<IReadOnlyList<Candle>>(() => InIdRange(Candles, $"{coinId}|{interval}|", from, to)
            .OrderByDescending("_id")
            .Limit(limit)
            .ToEnumerable()
            .Select(d => StoreDocuments.ToCandle(ToDictionary(d)))
            .ToList());

    public Task<IReadOnlyList<MarketAlert>> AlertsAsync(DateTimeOffset since, int limit, CancellationToken cancellation) =>
        Locked<IReadOnlyList<MarketAlert>>(() => Alerts.Query()
            .Where(Parameterized.AtLeast("event_time", since.UtcDateTime))
            .OrderByDescending("event_time")
            .Limit(limit)
            .ToEnumerable()
            .Select(d => StoreDocuments.ToAlert(d["_id"].AsString, ToDictionary(d)))
            .ToList());

    public Task<IReadOnlyList<PriceTick>> TicksAsync(string coinId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation) =>
        Locked<IReadOnlyList<PriceTick>>(() => InIdRange(Ticks, $"{coinId}|", from, to)
            .OrderBy("_id")
            .Limit(limit)
            .ToEnumerable()
            .Select(d => StoreDocuments.ToTick(ToDictionary(d)))
            .ToList());

    /// <summary>
    /// The newest tick is taken from the latest quotes, which the same transaction moves forward, because ticks have
    /// no index on event time (it would slow every tick write) and sorting them all takes seconds in a large store.
    /// </summary>
    public Task<IReadOnlyDictionary<string, DateTimeOffset?>> NewestAsync(CancellationToken cancellation) => Locked<IReadOnlyDictionary<string, DateTimeOffset?>>(() =>
    {
        var newestQuote = Newest(Latest, "event_time");
        return new Dictionary<string, DateTimeOffset?>
        {
            [Collections.Ticks] = newestQuote,
            [Collections.Candles] = Newest(Candles, "last_event_time"),
            [Collections.Latest] = newestQuote,
            [Collections.Alerts] = Newest(Alerts, "event_time"),
        };
    });

    public Task PingAsync(CancellationToken cancellation) => Locked(() => Database.GetCollectionNames().Count());

    public Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellation) =>
        Locked<IReadOnlyDictionary<string, long>>(() => Collections.All.ToDictionary(c => c, c => Database.GetCollection(c).LongCount()));

    public Task<long> DeleteTicksBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellation) =>
        Locked(() => (long)Ticks.DeleteMany(Parameterized.Less("event_time", cutoff.UtcDateTime)));

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            Close();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// One operation at a time: LiteDB 5 can fail a read that runs while another thread's transaction writes
    /// ("page type must be collection page"), so the read API waits for the loader's batch, and the other way round.
    /// A failure of the file closes the database (opened again by the next operation) and is reported as an outage.
    /// </summary>
    private Task<T> Locked<T>(Func<T> operation)
    {
        lock (_gate)
        {
            try
            {
                return Task.FromResult(operation());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException || e is LiteException lite && !AboutTheDocument.Contains(lite.ErrorCode))
            {
                Close();
                throw new OutageException(Description, e.Message, e);
            }
        }
    }

    /// <summary>The database, opened on first use and again after a failure closed it.</summary>
    private LiteDatabase Database
    {
        get
        {
            if (_opened is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
                _opened = new LiteDatabase(new ConnectionString { Filename = _path, Connection = ConnectionType.Direct }) { UtcDate = true };
            }

            return _opened;
        }
    }

    /// <summary>
    /// Drops the database's in-memory state and what this store remembered of the file, which the failure may have made
    /// wrong, and the transaction the failure may have left (<see cref="LeftTransactions"/>).
    /// </summary>
    private void Close()
    {
        if (_opened is { } database)
        {
            try
            {
                database.Dispose();
            }
            catch (Exception e) when (e is IOException or LiteException or UnauthorizedAccessException)
            {
                // Disposing checkpoints the log into the file, which fails as the write did; the log stays for the next open.
            }

            LeftTransactions.Forget(database);
            _opened = null;
        }

        _newestStoredTick.Clear();
        _knownVersions.Clear();
    }

    private ILiteCollection<BsonDocument> Ticks => Database.GetCollection(Collections.Ticks);

    private ILiteCollection<BsonDocument> Candles => Database.GetCollection(Collections.Candles);

    private ILiteCollection<BsonDocument> Latest => Database.GetCollection(Collections.Latest);

    private ILiteCollection<BsonDocument> Alerts => Database.GetCollection(Collections.Alerts);

    /// <summary>
    /// Documents with ids from <paramref name="prefix"/>from to <paramref name="prefix"/>to (exclusive), in Unix
    /// milliseconds: one range of the primary key (Between, because LiteDB runs GTE-and-LT as a scan from one bound
    /// with a filter, which reads the whole collection when it goes the wrong way).
    /// </summary>
    private static ILiteQueryable<BsonDocument> InIdRange(ILiteCollection<BsonDocument> collection, string prefix, DateTimeOffset from, DateTimeOffset to) =>
        collection.Query().Where(from < to
            ? Parameterized.Between("_id", prefix + IdMillis(from.ToUnixTimeMilliseconds()), prefix + IdMillis(to.ToUnixTimeMilliseconds() - 1))
            : Parameterized.Equal("_id", BsonValue.Null)); // an empty range

    /// <summary>Milliseconds as ids spell them: 13 digits (2001 to 2286), clamped so they compare as strings.</summary>
    private static string IdMillis(long milliseconds) =>
        Math.Clamp(milliseconds, 1_000_000_000_000, 9_999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes the document unless the stored one has an equal or greater <paramref name="field"/>; one this store does
    /// not know is inserted without a lookup when <paramref name="insertUnknown"/> (see <see cref="WriteAsync"/>).
    /// </summary>
    private bool UpsertIfNewer(ILiteCollection<BsonDocument> collection, StoreDocument document, string field, bool insertUnknown)
    {
        var candidate = ToBson(document);
        var version = VersionOf(candidate[field]);
        var key = (collection.Name, document.Id);
        long? stored;
        if (_knownVersions.TryGetValue(key, out var known))
        {
            stored = known;
        }
        else
        {
            if (_knownVersions.Count >= MaxKnownVersions)
            {
                _knownVersions.Clear();
            }

            stored = insertUnknown || collection.ById(document.Id) is not { } found ? null : VersionOf(found[field]);
        }

        if (stored >= version)
        {
            _knownVersions[key] = stored.Value;
            return false;
        }

        if (stored is null || !collection.Update(candidate))
        {
            collection.Insert(candidate);
        }

        _knownVersions[key] = version;
        return true;
    }

    /// <summary>A version field as a number (an event time in ticks); a document without it is older than any.</summary>
    private static long VersionOf(BsonValue value) => value.IsDateTime ? value.AsDateTime.Ticks : value.IsNumber ? value.AsInt64 : long.MinValue;

    private static void Count(bool wrote, string collection, Dictionary<string, long> written, Dictionary<string, long> stale) =>
        (wrote ? written : stale)[collection]++;

    private static DateTimeOffset? Newest(ILiteCollection<BsonDocument> collection, string field) =>
        collection.Query().OrderByDescending(field).Limit(1).FirstOrDefault() is { } d && d[field].IsDateTime
            ? new DateTimeOffset(DateTime.SpecifyKind(d[field].AsDateTime, DateTimeKind.Utc))
            : null;

    internal static BsonDocument ToBson(StoreDocument document)
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
