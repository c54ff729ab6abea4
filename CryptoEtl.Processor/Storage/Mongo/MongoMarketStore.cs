using CryptoEtl.Contracts.Market;
using MongoDB.Bson;
using CryptoEtl.ServiceDefaults.Failures;
using MongoDB.Driver;

namespace CryptoEtl.Processor.Storage.Mongo;

/// <summary>MongoDB through the official driver: unordered bulk writes per collection with the configured write concern.</summary>
public sealed class MongoMarketStore : IMarketStore
{
    private const string TickTtlIndex = "ticks_ttl";
    private static readonly BulkWriteOptions Unordered = new() { IsOrdered = false };

    private readonly IMongoDatabase _database;
    private readonly StoreOptions _options;

    public MongoMarketStore(string connectionString, StoreOptions options)
    {
        var url = new MongoUrl(connectionString);
        _options = options;
        var settings = MongoClientSettings.FromUrl(url);
        if (options.Username is { Length: > 0 } user)
        {
            settings.Credential = MongoCredential.CreateCredential(url.AuthenticationSource ?? "admin", user, options.Password);
        }

        var client = new MongoClient(settings);
        var concern = options.WriteConcern == "majority" ? WriteConcern.WMajority : new WriteConcern(int.Parse(options.WriteConcern, System.Globalization.CultureInfo.InvariantCulture));
        _database = client.GetDatabase(url.DatabaseName ?? options.Database).WithWriteConcern(concern);
        Description = $"MongoDB {string.Join(",", url.Servers)}/{_database.DatabaseNamespace.DatabaseName} (w={options.WriteConcern})";
    }

    public string Description { get; }

    public Task InitializeAsync(CancellationToken cancellation) => Guarded(async () =>
    {
        await Ticks.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument { { "coin_id", 1 }, { "event_time", 1 } }), cancellationToken: cancellation);
        await Candles.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument { { "coin_id", 1 }, { "interval", 1 }, { "window_start", -1 } }), cancellationToken: cancellation);
        await Alerts.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument("event_time", -1)), cancellationToken: cancellation);
        await Latest.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument(StoreDocuments.CoinPageKeyField, 1)), cancellationToken: cancellation);
        await AddPageKeysAsync(cancellation);
        await Candles.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument("last_event_time", -1)), cancellationToken: cancellation);
        await ApplyRetentionAsync(cancellation);
        return true;
    });

    public Task<WriteSummary> WriteAsync(StoreBatch batch, CancellationToken cancellation) => Guarded(async () =>
    {
        var written = Collections.All.ToDictionary(c => c, _ => 0L);
        var stale = Collections.All.ToDictionary(c => c, _ => 0L);
        var newest = batch.NewestPerCoin();
        var writes = new List<Task>();
        if (batch.Ticks.Count > 0)
        {
            writes.Add(Ticks.BulkWriteAsync(batch.Ticks.Select(t => MongoWriteModels.Upsert(StoreDocuments.Tick(t))), Unordered, cancellation));
        }

        if (batch.Alerts.Count > 0)
        {
            writes.Add(Alerts.BulkWriteAsync(batch.Alerts.Select(a => MongoWriteModels.Upsert(StoreDocuments.Alert(a))), Unordered, cancellation));
        }

        var candles = batch.Candles.Count == 0 ? null
            : Candles.BulkWriteAsync(batch.Candles.Select(c => MongoWriteModels.UpsertIfNewer(StoreDocuments.Candle(c), "version")), Unordered, cancellation);
        var latest = newest.Count == 0 ? null
            : Latest.BulkWriteAsync(newest.Select(t => MongoWriteModels.UpsertIfNewer(StoreDocuments.Latest(t), "event_time")), Unordered, cancellation);
        await Task.WhenAll(writes.Concat(new[] { candles, latest }.OfType<Task>()));

        written[Collections.Ticks] = batch.Ticks.Count;
        written[Collections.Alerts] = batch.Alerts.Count;
        Conditional(Collections.Candles, batch.Candles.Count, candles is null ? null : await candles, written, stale);
        Conditional(Collections.Latest, newest.Count, latest is null ? null : await latest, written, stale);
        return new WriteSummary(written, stale);
    });

    public Task<IReadOnlyList<PriceTick>> LatestPageAsync(string? afterKey, int limit, CancellationToken cancellation) => Guarded<IReadOnlyList<PriceTick>>(async () =>
        (await Latest.Find(afterKey is null ? FilterDefinition<BsonDocument>.Empty : new BsonDocument(StoreDocuments.CoinPageKeyField, new BsonDocument("$gt", afterKey)))
            .Sort(new BsonDocument(StoreDocuments.CoinPageKeyField, 1)).Limit(limit).ToListAsync(cancellation))
        .Select(d => StoreDocuments.ToTick(ToDictionary(d))).ToList());

    public Task<double> TotalMarketCapAsync(CancellationToken cancellation) => Guarded(async () =>
        await Latest.Aggregate().Group(new BsonDocument { { "_id", BsonNull.Value }, { "total", new BsonDocument("$sum", "$market_cap") } })
            .FirstOrDefaultAsync(cancellation) is { } sum ? sum["total"].ToDouble() : 0);

    /// <summary>Quotes stored before paging have no page key: given one, or no page would show them.</summary>
    private async Task AddPageKeysAsync(CancellationToken cancellation)
    {
        // Equality with null matches a missing field and is answered from the page_key index.
        var old = await Latest.Find(new BsonDocument(StoreDocuments.CoinPageKeyField, BsonNull.Value)).ToListAsync(cancellation);
        if (old.Count > 0)
        {
            await Latest.BulkWriteAsync(old.Select(quote => new UpdateOneModel<BsonDocument>(MongoWriteModels.IdFilter(quote["_id"].AsString),
                new BsonDocument("$set", new BsonDocument(StoreDocuments.CoinPageKeyField, StoreDocuments.CoinPageKey(StoreDocuments.ToTick(ToDictionary(quote))))))),
                Unordered, cancellation);
        }
    }

    public Task<PriceTick?> LatestAsync(string coinId, CancellationToken cancellation) => Guarded(async () =>
        await Latest.Find(MongoWriteModels.IdFilter(coinId)).FirstOrDefaultAsync(cancellation) is { } d ? StoreDocuments.ToTick(ToDictionary(d)) : null);

    public Task<IReadOnlyList<Candle>> CandlesAsync(string coinId, string interval, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation) => Guarded<IReadOnlyList<Candle>>(async () =>
        (await Candles.Find(new BsonDocument
            {
                { "coin_id", coinId },
                { "interval", interval },
                { "window_start", new BsonDocument { { "$gte", from.UtcDateTime }, { "$lt", to.UtcDateTime } } },
            })
            .Sort(new BsonDocument("window_start", -1)).Limit(limit).ToListAsync(cancellation))
        .Select(d => StoreDocuments.ToCandle(ToDictionary(d))).ToList());

    public Task<IReadOnlyList<MarketAlert>> AlertsAsync(DateTimeOffset since, int limit, CancellationToken cancellation) => Guarded<IReadOnlyList<MarketAlert>>(async () =>
        (await Alerts.Find(new BsonDocument("event_time", new BsonDocument("$gte", since.UtcDateTime)))
            .Sort(new BsonDocument("event_time", -1)).Limit(limit).ToListAsync(cancellation))
        .Select(d => StoreDocuments.ToAlert(d["_id"].AsString, ToDictionary(d))).ToList());

    public Task<IReadOnlyList<PriceTick>> TicksAsync(string coinId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellation) => Guarded<IReadOnlyList<PriceTick>>(async () =>
        (await Ticks.Find(new BsonDocument
            {
                { "coin_id", coinId },
                { "event_time", new BsonDocument { { "$gte", from.UtcDateTime }, { "$lt", to.UtcDateTime } } },
            })
            .Sort(new BsonDocument("event_time", 1)).Limit(limit).ToListAsync(cancellation))
        .Select(d => StoreDocuments.ToTick(ToDictionary(d))).ToList());

    /// <summary>The newest tick is the newest latest quote (see LiteDbMarketStore.NewestAsync): ticks have no index that serves it.</summary>
    public Task<IReadOnlyDictionary<string, DateTimeOffset?>> NewestAsync(CancellationToken cancellation) => Guarded<IReadOnlyDictionary<string, DateTimeOffset?>>(async () =>
    {
        var newestQuote = await NewestAsync(Latest, "event_time", cancellation);
        return new Dictionary<string, DateTimeOffset?>
        {
            [Collections.Ticks] = newestQuote,
            [Collections.Candles] = await NewestAsync(Candles, "last_event_time", cancellation),
            [Collections.Latest] = newestQuote,
            [Collections.Alerts] = await NewestAsync(Alerts, "event_time", cancellation),
        };
    });

    public Task PingAsync(CancellationToken cancellation) => Guarded(() =>
        _database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellation));

    public Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellation) => Guarded<IReadOnlyDictionary<string, long>>(async () =>
    {
        var counts = new Dictionary<string, long>();
        foreach (var collection in Collections.All)
        {
            counts[collection] = await _database.GetCollection<BsonDocument>(collection).EstimatedDocumentCountAsync(cancellationToken: cancellation);
        }

        return counts;
    });

    public Task<long> DeleteTicksBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellation) => Guarded(async () =>
        (await Ticks.DeleteManyAsync(new BsonDocument("event_time", new BsonDocument("$lt", cutoff.UtcDateTime)), cancellation)).DeletedCount);

    public ValueTask DisposeAsync()
    {
        _database.Client.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs an operation, reporting every error that is not about a document (<see cref="MongoFailures"/>) as an outage.</summary>
    private async Task<T> Guarded<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception e) when (MongoFailures.Classify(Description, e) is OutageException outage)
        {
            throw outage;
        }
    }

    private IMongoCollection<BsonDocument> Ticks => _database.GetCollection<BsonDocument>(Collections.Ticks);

    private IMongoCollection<BsonDocument> Candles => _database.GetCollection<BsonDocument>(Collections.Candles);

    private IMongoCollection<BsonDocument> Latest => _database.GetCollection<BsonDocument>(Collections.Latest);

    private IMongoCollection<BsonDocument> Alerts => _database.GetCollection<BsonDocument>(Collections.Alerts);

    /// <summary>A TTL index on ticks.event_time when a retention is configured; changing the retention recreates it.</summary>
    private async Task ApplyRetentionAsync(CancellationToken cancellation)
    {
        var existing = (await (await Ticks.Indexes.ListAsync(cancellation)).ToListAsync(cancellation))
            .FirstOrDefault(i => i["name"].AsString == TickTtlIndex);
        var wanted = (long?)_options.TickRetention?.TotalSeconds;
        if (existing is not null && (wanted is null || existing.GetValue("expireAfterSeconds", -1).ToInt64() != wanted))
        {
            await Ticks.Indexes.DropOneAsync(TickTtlIndex, cancellation);
            existing = null;
        }

        if (existing is null && _options.TickRetention is { } retention)
        {
            await Ticks.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument("event_time", 1),
                new CreateIndexOptions { Name = TickTtlIndex, ExpireAfter = retention }), cancellationToken: cancellation);
        }
    }

    private static async Task<DateTimeOffset?> NewestAsync(IMongoCollection<BsonDocument> collection, string field, CancellationToken cancellation) =>
        await collection.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument(field, -1)).Limit(1).FirstOrDefaultAsync(cancellation) is { } d
            ? new DateTimeOffset(d[field].ToUniversalTime())
            : null;

    private static void Conditional(string collection, int attempted, BulkWriteResult<BsonDocument>? result, Dictionary<string, long> written, Dictionary<string, long> stale)
    {
        var applied = result is null ? 0 : result.ModifiedCount + result.Upserts.Count;
        written[collection] = applied;
        stale[collection] = attempted - applied;
    }

    private static Dictionary<string, object?> ToDictionary(BsonDocument document) =>
        document.Elements.ToDictionary(e => e.Name, e => e.Value.IsBsonNull ? null : BsonTypeMapper.MapToDotNetValue(e.Value));
}

/// <summary>
/// Which MongoDB errors are about a document rather than the server: the write errors whose codes say the document
/// itself cannot be stored (https://www.mongodb.com/docs/manual/reference/error-codes/), with no write-concern error, and
/// a document that does not serialize. Every other error (no primary, NotWritablePrimary, write concern not met, disk
/// full, connection and server-selection errors, timeouts) is an outage.
/// </summary>
public static class MongoFailures
{
    private static readonly HashSet<int> AboutTheDocument =
    [
        2, // BadValue
        9, // FailedToParse
        14, // TypeMismatch
        52, // DollarPrefixedFieldName
        56, // EmptyFieldName
        57, // DottedFieldName
        66, // ImmutableField
        121, // DocumentValidationFailure
        10334, // BSONObjectTooLarge
        11000, // DuplicateKey
        17280, // KeyTooLong
    ];

    /// <summary>An <see cref="OutageException"/> of <paramref name="store"/> for an outage; the error itself when it is about a document or a cancellation.</summary>
    public static Exception Classify(string store, Exception exception) =>
        exception is OperationCanceledException || IsAboutTheDocument(exception) ? exception : new OutageException(store, exception.Message, exception);

    public static bool IsAboutTheDocument(Exception exception) => exception switch
    {
        MongoBulkWriteException bulk => bulk.WriteConcernError is null && bulk.WriteErrors.Count > 0 && bulk.WriteErrors.All(e => AboutTheDocument.Contains(e.Code)),
        MongoWriteException write => write.WriteConcernError is null && write.WriteError is { } error && AboutTheDocument.Contains(error.Code),
        MongoDB.Bson.BsonException => true,
        _ => false,
    };
}
