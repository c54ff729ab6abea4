using System.Diagnostics;
using System.Net;
using System.Reflection;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.Mongo;
using CryptoEtl.ServiceDefaults.Failures;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Loading;

/// <summary>
/// An outage of the store is never poison: while the store cannot write (its disk is full, it has no primary, a write
/// concern cannot be met, it cannot be reached) the loader waits with its partitions paused and /health naming the
/// cause, however many tries that takes, dead-letters nothing, and stores everything by itself once the store is back.
/// </summary>
public sealed class StoreOutageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_full_disk_is_waited_out_nothing_is_dead_lettered_and_everything_is_stored_once_space_returns()
    {
        using var disk = SmallDisk.Mount(megabytes: 32);
        await using var harness = await LoaderHarness.StartAsync(disk.Path);
        var ticks = Enumerable.Range(0, 3000).Select(i => Tick($"coin-{i % 300}", i / 300, 100 + i)).ToList();
        await harness.ProduceAsync(Topics.Ticks, ticks, t => t.CoinId);
        await using var store = await harness.OpenStoreAsync();
        disk.Fill(leaveBytes: 64 * 1024);

        using var running = harness.Run(store);
        await Eventually.TrueAsync(() => running.Status.Health.Error?.Contains("No space left on device", StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(60), "the loader to report the full disk");
        // Tries go on past PoisonAfterFailures (3) without suspecting a poison record.
        await Task.Delay(TimeSpan.FromSeconds(4), Cancel);
        var health = running.Status.Health.Check();
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("waiting for the store (outage)", health.Description, StringComparison.Ordinal);
        Assert.Empty(await harness.DeadLettersAsync());
        Assert.True(harness.Lag() > 0, "nothing may be committed while the disk is full");

        disk.Free();
        var freed = Stopwatch.StartNew();
        await harness.WaitUntilLoadedAsync(TimeSpan.FromSeconds(60));
        TestContext.Current.SendDiagnosticMessage($"Loaded everything {freed.Elapsed.TotalSeconds:0.0} s after the space came back.");

        Assert.Empty(await harness.DeadLettersAsync());
        Assert.Equal(ticks.Count, (await store.CountsAsync(Cancel))[Collections.Ticks]);
        Assert.Equal(HealthStatus.Healthy, running.Status.Health.Check().Status);
        Assert.Empty(Directory.GetFiles(disk.Path, "*.tmp"));
    }

    /// <summary>MongoDB's outages, as the driver throws them and the store classifies them (MongoFailures), around the real embedded store.</summary>
    public static TheoryData<string> MongoOutages => ["not-writable-primary", "node-recovering", "write-concern", "disk-full", "connection", "server-selection"];

    [Theory]
    [MemberData(nameof(MongoOutages))]
    public async Task A_MongoDB_outage_is_waited_out_while_the_store_still_answers_a_ping_and_nothing_is_dead_lettered(string kind)
    {
        await using var harness = await LoaderHarness.StartAsync();
        await using var store = new OutageStore(await harness.OpenStoreAsync()) { WriteFailure = MongoFailures.Classify("MongoDB test", MongoError(kind)) };
        Assert.IsType<OutageException>(store.WriteFailure);
        await harness.ProduceAsync(Topics.Ticks, [Tick("btc", 0, 100), Tick("eth", 0, 10), Tick("btc", 1, 101)], t => t.CoinId);

        using var running = harness.Run(store);
        // Twice as many tries as it takes to suspect a poison record, then the outage ends.
        await Eventually.TrueAsync(() => store.Refused >= 6, TimeSpan.FromSeconds(60), "six refused writes");
        Assert.Contains("waiting for the store (outage)", running.Status.Health.Check().Description, StringComparison.Ordinal);
        store.WriteFailure = null;
        await harness.WaitUntilLoadedAsync();

        Assert.Empty(await harness.DeadLettersAsync());
        Assert.Equal(3, (await store.CountsAsync(Cancel))[Collections.Ticks]);
        Assert.Equal(HealthStatus.Healthy, running.Status.Health.Check().Status);
    }

    [Fact]
    public async Task The_MongoDB_store_reports_a_server_it_cannot_reach_as_an_outage()
    {
        var port = FreePorts.Next();
        await using var store = new MongoMarketStore($"mongodb://127.0.0.1:{port}/cryptoetl?serverSelectionTimeoutMS=300&connectTimeoutMS=300", new StoreOptions());

        var write = await Assert.ThrowsAsync<OutageException>(() => store.WriteAsync(StoreBatch.Reduce([Tick("btc", 0, 1)], [], []), Cancel));
        Assert.StartsWith($"MongoDB 127.0.0.1:{port}/cryptoetl (w=majority) is unavailable:", write.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<OutageException>(() => store.PingAsync(Cancel));
        await Assert.ThrowsAsync<OutageException>(() => store.LatestPageAsync(null, 10, Cancel));
    }

    [Fact]
    public void Only_write_errors_about_the_document_itself_are_not_outages()
    {
        Assert.True(MongoFailures.IsAboutTheDocument(BulkWriteError(121, "Document failed validation")));
        Assert.True(MongoFailures.IsAboutTheDocument(BulkWriteError(10334, "BSONObj size is invalid")));
        Assert.True(MongoFailures.IsAboutTheDocument(new BsonSerializationException("cannot serialize")));
        Assert.False(MongoFailures.IsAboutTheDocument(BulkWriteError(14031, "OutOfDiskSpace")));
        Assert.False(MongoFailures.IsAboutTheDocument(BulkWriteError(10107, "not primary")));
        Assert.All(MongoOutages, kind => Assert.IsType<OutageException>(MongoFailures.Classify("MongoDB", MongoError(kind))));
        Assert.IsType<OperationCanceledException>(MongoFailures.Classify("MongoDB", new OperationCanceledException()));
    }

    /// <summary>The driver's exception for a bulk write with one write error (it builds those only from a server's answer, through an internal constructor).</summary>
    private static MongoBulkWriteException<BsonDocument> BulkWriteError(int code, string message)
    {
        var error = (BulkWriteError)Activator.CreateInstance(typeof(BulkWriteError), BindingFlags.NonPublic | BindingFlags.Instance, null,
            [0, ServerErrorCategory.Uncategorized, code, message, new BsonDocument()], null)!;
        return new MongoBulkWriteException<BsonDocument>(Connection(), new BulkWriteResult<BsonDocument>.Unacknowledged(1, []), [error], null, []);
    }

    private static Exception MongoError(string kind)
    {
        var connection = Connection();
        var command = new BsonDocument("update", Collections.Ticks);
        return kind switch
        {
            "not-writable-primary" => new MongoNotPrimaryException(connection, command, new BsonDocument { { "ok", 0 }, { "code", 10107 }, { "errmsg", "not primary" } }),
            "node-recovering" => new MongoNodeIsRecoveringException(connection, command, new BsonDocument { { "ok", 0 }, { "code", 189 }, { "errmsg", "primary stepped down" } }),
            "write-concern" => new MongoWriteConcernException(connection, "waiting for replication timed out",
                new WriteConcernResult(new BsonDocument { { "ok", 1 }, { "writeConcernError", new BsonDocument { { "code", 64 }, { "errmsg", "waiting for replication timed out" } } } })),
            "disk-full" => new MongoCommandException(connection, "No space left on device", command, new BsonDocument { { "ok", 0 }, { "code", 14031 }, { "errmsg", "OutOfDiskSpace" } }),
            "connection" => new MongoConnectionException(connection, "An exception occurred while receiving a message from the server.", new IOException("Connection reset by peer")),
            "server-selection" => new TimeoutException("A timeout occurred after 30000ms selecting a server using CompositeServerSelector."),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private static ConnectionId Connection() => new(new ServerId(new ClusterId(1), new DnsEndPoint("mongo", 27017)));
}
