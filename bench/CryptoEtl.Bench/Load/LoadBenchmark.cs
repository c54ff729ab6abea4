using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Processor.Loading;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.LiteDb;
using CryptoEtl.Processor.Telemetry;
using LiteDB;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace CryptoEtl.Bench.Load;

/// <summary>
/// The Processor's loader (batched, idempotent upserts, commits after each acknowledged batch) against the seed's way
/// (one insert_one per record, auto-generated ids, auto-commit), both into LiteDB from the same pre-loaded ticks topic,
/// which holds some redelivered duplicates as real topics do. Compares the final store contents.
/// </summary>
internal sealed class LoadBenchmark(BenchEnvironment environment, int records)
{
    private const double DuplicateShare = 0.02;
    private readonly string _directory = Directory.CreateTempSubdirectory("cryptoetl-bench-load").FullName;

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]load benchmark[/]: {records:N0} tick records ({DuplicateShare:P0} redelivered duplicates) into LiteDB; {Environment.ProcessorCount} cores");
        var distinct = await LoadAsync();

        var ours = Measure("loader (batched idempotent upserts)", records, RunLoader);
        var seeds = Measure("seed's way (insert_one per record)", records, RunSeedsWay);

        var (ourTicks, seedTicks, seedDuplicates) = Compare();
        var table = new Table().AddColumns("run", "records", "seconds", "documents/s", "tick documents stored");
        table.AddRow("loader", $"{records:N0}", $"{ours.Seconds:0.00}", $"{ours.Rate:N0}", $"{ourTicks:N0}");
        table.AddRow("seed's way", $"{records:N0}", $"{seeds.Seconds:0.00}", $"{seeds.Rate:N0}", $"{seedTicks:N0} ({seedDuplicates:N0} duplicates)");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Distinct ticks produced: {distinct:N0}. Stores hold the same ticks apart from the seed's duplicates: [bold]{(ourTicks == distinct && seedTicks - seedDuplicates == distinct ? "yes" : "NO")}[/]");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load: {ours.Rate:0} docs/s, {ours.Rate / seeds.Rate:0.0}x per-record"));
        return ourTicks == distinct && seedTicks - seedDuplicates == distinct ? 0 : 1;
    }

    private static (double Seconds, double Rate) Measure(string name, int count, Action<ProgressTask> run)
    {
        var stopwatch = Stopwatch.StartNew();
        AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context => run(context.AddTask(name, maxValue: count)));
        var seconds = stopwatch.Elapsed.TotalSeconds;
        return (seconds, count / seconds);
    }

    /// <summary>Produces ticks of 250 coins, with a share of them sent twice (a redelivery); returns the distinct count.</summary>
    private async Task<int> LoadAsync()
    {
        var serializer = new ContractSerializer<PriceTick>(environment.Registry);
        var id = await serializer.SchemaIdAsync(Topics.Ticks);
        var random = new Random(3);
        var sent = 0;
        var distinct = 0;
        Measure("pre-load ticks into Kafka", records, task =>
        {
            using var producer = new ProducerBuilder<byte[], byte[]>(environment.ProducerConfig(lingerMs: 20)).Build();
            var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            for (var i = 0; sent < records; i++)
            {
                var tick = new PriceTick
                {
                    CoinId = $"coin-{i % 250:000}", Symbol = "c", EventTime = start.AddMinutes(i / 250), Price = 100 + (i % 97), MarketCap = 1e9,
                    TotalVolume = 1e6, MarketCapRank = (i % 250) + 1, PreviousPrice = 99, Change = 1, ChangePct = 1, LogReturn = 0.01,
                    VsCurrency = "usd", Source = DataSource.Simulator, RunId = "bench",
                };
                var bytes = serializer.Encode(tick, id);
                var copies = random.NextDouble() < DuplicateShare && sent + 2 <= records ? 2 : 1;
                for (var c = 0; c < copies; c++)
                {
                    producer.Produce(Topics.Ticks, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(tick.CoinId), Value = bytes });
                    sent++;
                }

                distinct++;
                if (sent % 10_000 < copies)
                {
                    task.Value = sent;
                    producer.Poll(TimeSpan.Zero);
                }
            }

            producer.Flush();
            task.Value = records;
        });
        return distinct;
    }

    private void RunLoader(ProgressTask task)
    {
        var status = new LoaderStatus();
        var store = new LiteDbMarketStore(Path.Combine(_directory, "loader.litedb"));
        store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        var consumer = environment.ConsumerConfig("bench-loader");
        using var loader = new Loader(consumer, environment.ProducerConfig(), environment.Registry, store,
            new LoaderOptions { MaxBatchSize = 20_000, BatchInterval = TimeSpan.FromMilliseconds(500) }, status,
            new ProcessorTelemetry(new NoMeters(), status), TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var thread = new Thread(() => loader.Run(stop.Token)) { IsBackground = true };
        thread.Start();
        long lag;
        do
        {
            Thread.Sleep(200);
            lag = environment.Lag("bench-loader", Topics.Ticks);
            task.Value = records - lag;
        }
        while (lag > 0);

        stop.Cancel();
        thread.Join();
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// What the seed's load step does: kafka-python with auto-commit, and collection.insert_one(data) for every record,
    /// letting the database pick each document's id.
    /// </summary>
    private void RunSeedsWay(ProgressTask task)
    {
        var decoder = new ContractDecoder<PriceTick>(environment.Registry);
        using var database = new LiteDatabase(Path.Combine(_directory, "seed.litedb"));
        var collection = database.GetCollection("ticks");
        var config = environment.ConsumerConfig("bench-seed");
        config.EnableAutoCommit = true;
        config.EnableAutoOffsetStore = true;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Subscribe(Topics.Ticks);
        for (var seen = 0; seen < records;)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { IsPartitionEOF: false } result)
            {
                continue;
            }

            var tick = decoder.DecodeAsync(result.Message.Value, Topics.Ticks).GetAwaiter().GetResult().Value!;
            var document = new BsonDocument();
            foreach (var (name, value) in StoreDocuments.Tick(tick).Fields)
            {
                document[name] = value is DateTime time ? new BsonValue(time) : new BsonValue(value);
            }

            collection.Insert(document);
            if (++seen % 1000 == 0)
            {
                task.Value = seen;
            }
        }

        consumer.Close();
        task.Value = records;
    }

    /// <summary>Tick documents in each store, and how many of the seed's are duplicates of another by (coin, event time, price).</summary>
    private (long Ours, long Seeds, long SeedDuplicates) Compare()
    {
        using var ours = new LiteDatabase(Path.Combine(_directory, "loader.litedb"));
        using var seeds = new LiteDatabase(Path.Combine(_directory, "seed.litedb"));
        var ourKeys = ours.GetCollection(Collections.Ticks).FindAll().Select(Key).ToHashSet();
        var seedKeys = seeds.GetCollection("ticks").FindAll().Select(Key).ToList();
        var seedDistinct = seedKeys.ToHashSet();
        if (!seedDistinct.SetEquals(ourKeys))
        {
            AnsiConsole.MarkupLine("[red]The stores hold different ticks.[/]");
        }

        return (ourKeys.Count, seedKeys.Count, seedKeys.Count - seedDistinct.Count);

        static (string, DateTime, double) Key(BsonDocument d) => (d["coin_id"].AsString, d["event_time"].AsDateTime, d["price"].AsDouble);
    }

    private sealed class NoMeters : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
