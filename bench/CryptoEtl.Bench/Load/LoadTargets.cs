using System.Diagnostics;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.LiteDb;
using CryptoEtl.Processor.Storage.Mongo;
using MongoDB.Driver;

namespace CryptoEtl.Bench.Load;

/// <summary>A tick document as the comparison of stores sees it.</summary>
internal readonly record struct TickKey(string CoinId, DateTime EventTime, double Price);

/// <summary>
/// Where the load benchmark writes: a store for each run, and for the seed's way one acknowledged insert per record.
/// Every write gets the same durability: on disk (LiteDB) or acknowledged by a majority, which is journaled (MongoDB).
/// </summary>
internal interface ILoadTarget : IDisposable
{
    string Description { get; }

    /// <summary>A new, empty store named <paramref name="name"/>, as the Processor would open it.</summary>
    IMarketStore OpenStore(string name);

    /// <summary>The seed's insert_one: writes one document (the database picks its id) and returns once it is acknowledged.</summary>
    ISeedCollection OpenSeedCollection(string name);

    /// <summary>Every tick document stored under <paramref name="name"/> (after its store or collection is closed).</summary>
    IReadOnlyList<TickKey> StoredTicks(string name);
}

internal interface ISeedCollection : IDisposable
{
    void InsertOne(StoreDocument document);

    /// <summary>Time spent making the inserts durable, where that is a separate step.</summary>
    TimeSpan Syncing { get; }
}

/// <summary>LiteDB files in a temporary directory: what the embedded run uses.</summary>
internal sealed class LiteDbTarget : ILoadTarget
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cryptoetl-bench-load").FullName;

    public string Description => "LiteDB";

    public IMarketStore OpenStore(string name) => new LiteDbMarketStore(File(name));

    public ISeedCollection OpenSeedCollection(string name) => new Seed(File(name));

    public IReadOnlyList<TickKey> StoredTicks(string name)
    {
        using var database = new LiteDB.LiteDatabase(File(name));
        return database.GetCollection(Collections.Ticks).FindAll()
            .Select(d => new TickKey(d["coin_id"].AsString, d["event_time"].AsDateTime.ToUniversalTime(), d["price"].AsDouble)).ToList();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name) => Path.Combine(_directory, $"{name}.litedb");

    private sealed class Seed(string path) : ISeedCollection
    {
        private readonly LiteDB.LiteDatabase _database = new(path);
        private long _syncing;

        public TimeSpan Syncing => Stopwatch.GetElapsedTime(0, _syncing);

        public void InsertOne(StoreDocument document)
        {
            var bson = LiteDbMarketStore.ToBson(document);
            bson.Remove("_id");
            _database.GetCollection(Collections.Ticks).Insert(bson);
            var started = Stopwatch.GetTimestamp();
            LiteDbMarketStore.SyncToDisk(path);
            _syncing += Stopwatch.GetTimestamp() - started;
        }

        public void Dispose() => _database.Dispose();
    }
}

/// <summary>Databases of a real MongoDB (dropped before and after), with the Processor's default write concern.</summary>
internal sealed class MongoTarget : ILoadTarget
{
    private const string Prefix = "cryptoetl_bench_";
    private readonly string _connectionString;
    private readonly MongoClient _client;
    private readonly List<string> _databases = [];

    /// <param name="connectionString">A database it names is left alone: each run gets a database of its own.</param>
    public MongoTarget(string connectionString)
    {
        var url = new MongoUrlBuilder(connectionString);
        url.AuthenticationSource ??= url.DatabaseName;
        url.DatabaseName = null;
        _connectionString = url.ToString();
        _client = new MongoClient(_connectionString);
        Description = $"MongoDB {string.Join(",", url.Servers)} (w=majority)";
    }

    public string Description { get; }

    public IMarketStore OpenStore(string name) => new MongoMarketStore(_connectionString, new StoreOptions { Database = Database(name) });

    public ISeedCollection OpenSeedCollection(string name) =>
        new Seed(_client.GetDatabase(Database(name)).GetCollection<MongoDB.Bson.BsonDocument>(Collections.Ticks).WithWriteConcern(WriteConcern.WMajority));

    public IReadOnlyList<TickKey> StoredTicks(string name) =>
        _client.GetDatabase(Prefix + name).GetCollection<MongoDB.Bson.BsonDocument>(Collections.Ticks).Find(FilterDefinition<MongoDB.Bson.BsonDocument>.Empty).ToList()
            .Select(d => new TickKey(d["coin_id"].AsString, d["event_time"].ToUniversalTime(), d["price"].AsDouble)).ToList();

    public void Dispose()
    {
        foreach (var database in _databases)
        {
            _client.DropDatabase(database);
        }

        _client.Dispose();
    }

    /// <summary>The database of one run, emptied first.</summary>
    private string Database(string name)
    {
        var database = Prefix + name;
        _client.DropDatabase(database);
        _databases.Add(database);
        return database;
    }

    private sealed class Seed(IMongoCollection<MongoDB.Bson.BsonDocument> collection) : ISeedCollection
    {
        public TimeSpan Syncing => TimeSpan.Zero;

        public void InsertOne(StoreDocument document)
        {
            var bson = MongoWriteModels.ToBson(document);
            bson.Remove("_id");
            collection.InsertOne(bson);
        }

        public void Dispose()
        {
        }
    }
}
