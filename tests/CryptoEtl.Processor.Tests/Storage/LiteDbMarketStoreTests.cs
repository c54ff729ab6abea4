using CryptoEtl.Contracts.Market;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.LiteDb;
using LiteDB;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Storage;

public sealed class LiteDbMarketStoreTests : MarketStoreContract
{
    private readonly string _path = Path.Combine(Directory.CreateTempSubdirectory("litedb").FullName, "store.litedb");

    protected override Task<IMarketStore> CreateAsync() => Task.FromResult<IMarketStore>(new LiteDbMarketStore(_path));

    private static Task<WriteSummary> Write(IMarketStore store, params PriceTick[] ticks) => store.WriteAsync(StoreBatch.Reduce(ticks, [], []), Cancel);

    [Fact]
    public async Task Quotes_stored_before_paging_are_given_their_page_key_at_start()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("litedb-unpaged").FullName, "store.litedb");
        await using (var store = new LiteDbMarketStore(path))
        {
            await store.InitializeAsync(Cancel);
            await Write(store, Tick("eth", 0, 1), Tick("btc", 0, 2), Tick("sol", 0, 0.5));
        }

        using (var database = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = path, Connection = LiteDB.ConnectionType.Direct }))
        {
            var latest = database.GetCollection(Collections.Latest);
            foreach (var quote in latest.FindAll().ToList())
            {
                quote.Remove(StoreDocuments.CoinPageKeyField); // as a store written before paging holds them
                latest.Update(quote);
            }
        }

        await using var reopened = new LiteDbMarketStore(path);
        await reopened.InitializeAsync(Cancel);
        var paged = new List<string>();
        for (var page = await reopened.LatestPageAsync(null, 1, Cancel); page.Count > 0;
             page = await reopened.LatestPageAsync(StoreDocuments.CoinPageKey(page[0]), 1, Cancel))
        {
            paged.Add(page[0].CoinId);
        }

        Assert.Equal(["btc", "eth", "sol"], paged);
    }

    [Fact]
    public async Task Reads_during_the_first_writes_of_a_new_store_neither_fail_nor_make_writes_fail()
    {
        // The read API reads while the loader writes. LiteDB 5 failed a read running during a new store's first
        // transactions ("page type must be collection page"), in about one new store of fifty before the store took one
        // operation at a time.
        var directory = Directory.CreateTempSubdirectory("litedb-race").FullName;
        for (var round = 0; round < 200; round++)
        {
            await using var store = new LiteDbMarketStore(Path.Combine(directory, $"{round}.litedb"));
            await store.InitializeAsync(Cancel);
            using var done = new CancellationTokenSource();
            var reader = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    await store.CountsAsync(Cancel);
                    await store.NewestAsync(Cancel);
                    await store.LatestPageAsync(null, 10, Cancel);
                }
            }, Cancel);

            await store.WriteAsync(StoreBatch.Reduce([Tick("btc", 0, 1), Tick("eth", 0, 2)], [Candle("btc", 0, 1, 1)], [Alert("btc", 0)]), Cancel);
            await done.CancelAsync();
            await reader;
            Assert.Equal(2, (await store.CountsAsync(Cancel))[Collections.Ticks]);
        }
    }

    /// <summary>
    /// LiteDB compiles each distinct expression text once and keeps it for the life of the process, so a lookup must not
    /// spell its value into the text: with 20,000 coins the store held about 25,000 compiled expressions, most of the
    /// Processor's memory beyond its GC heap (issue 24). Every kind of write and read, for 300 coins: a handful at most.
    /// </summary>
    [Fact]
    public async Task Writing_and_reading_many_coins_compiles_no_expression_per_coin()
    {
        await WriteAndReadAsync("warm-up"); // every query shape once
        var before = CompiledExpressions();

        for (var i = 0; i < 300; i++)
        {
            await WriteAndReadAsync($"coin-{i:000}");
        }

        Assert.InRange(CompiledExpressions() - before, 0, 20);
    }

    private async Task WriteAndReadAsync(string coin)
    {
        await Store.WriteAsync(StoreBatch.Reduce([Tick(coin, 0, 100), Tick(coin, 1, 101)], [Candle(coin, 0, 1, 100), Candle(coin, 0, 2, 101)], [Alert(coin, 1)]), Cancel);
        await Store.WriteAsync(StoreBatch.Reduce([Tick(coin, 0, 100)], [Candle(coin, 0, 1, 100)], []), Cancel); // a replay: stale, looked up
        Assert.NotNull(await Store.LatestAsync(coin, Cancel));
        Assert.Single(await Store.CandlesAsync(coin, "1m", T0, T0.AddHours(1), 10, Cancel));
        Assert.Equal(2, (await Store.TicksAsync(coin, T0, T0.AddHours(1), 10, Cancel)).Count);
        Assert.NotEmpty(await Store.LatestPageAsync(coin, 10, Cancel) is { Count: > 0 } page ? page : await Store.LatestPageAsync(null, 10, Cancel));
        await Store.AlertsAsync(T0.AddMinutes(coin.Length), 10, Cancel);
        await Store.DeleteTicksBeforeAsync(T0.AddMinutes(-coin.Length), Cancel);
    }

    /// <summary>How many compiled expressions LiteDB keeps (its static caches, by reflection: they are private).</summary>
    private static int CompiledExpressions() =>
        typeof(BsonExpression).GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)
            .Select(f => f.GetValue(null)).OfType<System.Collections.ICollection>().Sum(c => c.Count);

    [Fact]
    public async Task A_reopened_store_takes_a_replay_of_what_it_holds()
    {
        await Write(Store, Tick("btc", 0, 100), Tick("btc", 1, 101));
        await Store.DisposeAsync();

        await using var reopened = new LiteDbMarketStore(_path);
        await Write(reopened, Tick("btc", 0, 100), Tick("btc", 1, 101), Tick("btc", 2, 102));

        Assert.Equal([100d, 101, 102], (await reopened.TicksAsync("btc", T0, T0.AddHours(1), 10, Cancel)).Select(t => t.Price));
    }

    /// <summary>A reopened store knows no document, so it inserts first; what the file holds sends the batch the careful way, and older versions stay refused.</summary>
    [Fact]
    public async Task A_reopened_store_refuses_older_versions_of_what_it_holds()
    {
        await Store.WriteAsync(StoreBatch.Reduce([Tick("btc", 5, 105)], [Candle("btc", 0, 5, 105)], []), Cancel);
        await Store.DisposeAsync();

        await using var reopened = new LiteDbMarketStore(_path);
        var replay = await reopened.WriteAsync(StoreBatch.Reduce([Tick("btc", 1, 101)], [Candle("btc", 0, 3, 103)], []), Cancel);
        var next = await reopened.WriteAsync(StoreBatch.Reduce([Tick("btc", 6, 106)], [Candle("btc", 0, 6, 106), Candle("eth", 0, 1, 7)], []), Cancel);

        Assert.Equal((1L, 1L), (replay.Stale[Collections.Latest], replay.Stale[Collections.Candles]));
        Assert.Equal((1L, 2L), (next.Written[Collections.Latest], next.Written[Collections.Candles]));
        Assert.Equal(106, (await reopened.LatestAsync("btc", Cancel))!.Price);
        Assert.Equal(106, (await reopened.CandlesAsync("btc", "1m", T0, T0.AddHours(1), 10, Cancel)).Single().Close);
        Assert.Equal(3, (await reopened.CountsAsync(Cancel))[Collections.Ticks]);
    }

    [Fact]
    public async Task Ticks_whose_ids_do_not_sort_by_time_are_still_written_once()
    {
        // Ids spell milliseconds in 13 digits only from 2001 on, so a 1999 tick's id sorts after every later one.
        var old = Tick("btc", 0, 1) with { EventTime = new DateTimeOffset(1999, 12, 31, 0, 0, 0, TimeSpan.Zero) };
        await Write(Store, old, Tick("btc", 0, 100));

        await Write(Store, old, Tick("btc", 0, 100), Tick("btc", 1, 101));

        Assert.Equal(3, (await Store.CountsAsync(Cancel))[Collections.Ticks]);
        Assert.Equal(101, (await Store.LatestAsync("btc", Cancel))!.Price);
    }

    [Fact]
    public async Task A_batch_is_in_the_files_when_the_write_returns()
    {
        await Write(Store, Tick("btc", 0, 100), Tick("eth", 0, 10));

        // The files as a crash would leave them: copied while the store is open, then opened on their own.
        var copy = Path.Combine(Directory.CreateTempSubdirectory("litedb-copy").FullName, "store.litedb");
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_path)!))
        {
            File.Copy(file, Path.Combine(Path.GetDirectoryName(copy)!, Path.GetFileName(file)));
        }

        await using var recovered = new LiteDbMarketStore(copy);
        Assert.Equal(2, (await recovered.CountsAsync(Cancel))[Collections.Ticks]);
    }

    /// <summary>
    /// LiteDB 5.0.21 leaves a transaction behind when a full disk fails its commit and then its rollback: disposing it
    /// throws ("discarded page must be writable"), which LiteDB swallows while it closes; the transaction stays in its
    /// thread's slot, and once that thread ends, its finalizer throws the same on the finalizer thread, which ends the
    /// process (exit 134, seen in CI). The writes fail here on a thread of their own that then ends, so that finalizer
    /// would run at the collection below.
    /// </summary>
    [Fact]
    public async Task Writes_failed_by_a_full_disk_leave_nothing_whose_finalizer_ends_the_process()
    {
        using var disk = TestSupport.SmallDisk.Mount(megabytes: 16);
        await using var store = new LiteDbMarketStore(Path.Combine(disk.Path, "store.litedb"));
        await store.InitializeAsync(Cancel);
        await Write(store, Tick("btc", 0, 1));
        disk.Fill(leaveBytes: 64 * 1024);
        var batch = StoreBatch.Reduce([.. Enumerable.Range(0, 2000).Select(i => Tick($"coin-{i % 200}", 1 + i / 200, 100 + i))], [], []);

        var failures = new List<Exception>();
        var writer = new Thread(() =>
        {
            for (var attempt = 0; attempt < 20; attempt++)
            {
                // The store works synchronously: LiteDB's transaction is this thread's.
                failures.Add(Assert.ThrowsAsync<CryptoEtl.ServiceDefaults.Failures.OutageException>(() => store.WriteAsync(batch, Cancel)).GetAwaiter().GetResult());
            }
        });
        writer.Start();
        writer.Join();
        for (var collection = 0; collection < 3; collection++)
        {
            // The first collection finalizes the ended thread's slots (ThreadLocal's cleanup), a later one what they held.
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.Equal(20, failures.Count);
        Assert.All(failures, f => Assert.Contains("No space left on device", f.Message, StringComparison.Ordinal));
        disk.Free();
        await store.WriteAsync(batch, Cancel);
        Assert.Equal(2001, (await store.CountsAsync(Cancel))[Collections.Ticks]);
    }
}
