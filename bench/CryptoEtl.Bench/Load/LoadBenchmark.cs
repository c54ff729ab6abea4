using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using CryptoEtl.Bench.Measuring;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.Processor.Loading;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Telemetry;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace CryptoEtl.Bench.Load;

/// <summary>
/// The Processor's loader (batched, idempotent writes, offsets committed once a batch is durable) against the seed's
/// way (one insert_one per record, auto-generated ids, auto-commit), both from the same pre-loaded ticks topic, which
/// holds some redelivered duplicates as real topics do, into the same kind of store with the same durability. A third
/// run writes the same ticks to the store in the loader's batch size without Kafka, to show how much of the loader's
/// time is the store's. Compares the final store contents.
/// </summary>
internal sealed class LoadBenchmark(BenchEnvironment environment, ILoadTarget target, int records, int repeats)
{
    private const double DuplicateShare = 0.02;
    private const int BatchSize = 20_000;

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]load benchmark[/]: {records:N0} tick records ({DuplicateShare:P0} redelivered duplicates) into {target.Description}; {Environment.ProcessorCount} cores");
        var distinct = await LoadAsync();

        Timing.Measure("warm-up: the loader, not counted", records, task => RunLoader(task, "warmup"));
        // Without its own warm-up the store alone ran faster each time (33,491, 41,588, 46,931 docs/s one after the other).
        Timing.Measure("warm-up: the store alone, not counted", distinct, task => RunStoreAlone(task, "warmup-alone"));
        // The loader and the store alone take turns, so that whatever slows the machine for a while slows both alike.
        var loaders = new List<Timing>();
        var alones = new List<Timing>();
        for (var run = 1; run <= repeats; run++)
        {
            loaders.Add(Timing.Measure($"loader (batched idempotent writes), run {run}", records, task => RunLoader(task, $"loader-{run}")));
            alones.Add(Timing.Measure($"store alone (no Kafka), run {run}", distinct, task => RunStoreAlone(task, $"alone-{run}")));
        }

        var seedSyncing = TimeSpan.Zero;
        var seeds = Timing.Measure("seed's way (insert_one per record)", records, task => seedSyncing = RunSeedsWay(task));
        var ours = new Spread(loaders.Select(t => t.Rate));
        var alone = new Spread(alones.Select(t => t.Rate));

        var ourTicks = target.StoredTicks("loader-1");
        var seedTicks = target.StoredTicks("seed");
        var seedDistinct = seedTicks.ToHashSet();
        var same = ourTicks.Count == distinct && seedDistinct.Count == distinct && seedDistinct.SetEquals(ourTicks);
        var table = new Table().AddColumns("run", "records", "seconds", "documents/s", "CPU µs/record", "cores used", "tick documents stored");
        foreach (var (timing, run) in loaders.Select((t, i) => (t, i + 1)))
        {
            table.AddRow($"loader {run}", $"{records:N0}", $"{timing.Seconds:0.00}", $"{timing.Rate:N0}", $"{timing.CpuMicrosecondsPerRecord:0.0}", $"{timing.CoresUsed:0.00}", run == 1 ? $"{ourTicks.Count:N0}" : "");
        }

        foreach (var (timing, run) in alones.Select((t, i) => (t, i + 1)))
        {
            table.AddRow($"store alone {run}", $"{distinct:N0}", $"{timing.Seconds:0.00}", $"{timing.Rate:N0}", $"{timing.CpuMicrosecondsPerRecord:0.0}", $"{timing.CoresUsed:0.00}", $"{distinct:N0}");
        }

        table.AddRow("seed's way", $"{records:N0}", $"{seeds.Seconds:0.00}", $"{seeds.Rate:N0}", $"{seeds.CpuMicrosecondsPerRecord:0.0}", $"{seeds.CoresUsed:0.00}", $"{seedTicks.Count:N0} ({seedTicks.Count - seedDistinct.Count:N0} duplicates)");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Distinct ticks produced: {distinct:N0}. Stores hold the same ticks apart from the seed's duplicates: [bold]{(same ? "yes" : "NO")}[/]");
        if (seedSyncing > TimeSpan.Zero)
        {
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"The seed's way spends {seedSyncing.TotalMicroseconds / records:0} µs of its {1e6 / seeds.Rate:0} µs per record syncing to disk."));
        }

        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"loader {ours.ToString("0")} docs/s; store alone {alone.ToString("0")} docs/s. The loader runs at {new Spread(loaders.Zip(alones, (l, a) => 100 * l.Rate / a.Rate)).ToString("0")} % of the store alone (the same ticks, batched as the loader does, without Kafka), which is {alone.Median / seeds.Rate:0.0}x the seed's way.")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load: {ours.ToString("0")} docs/s, {ours.Median / seeds.Rate:0.0}x per-record"));
        return same ? 0 : 1;
    }

    /// <summary>Produces ticks of 250 coins, with a share of them sent twice (a redelivery); returns the distinct count.</summary>
    private async Task<int> LoadAsync()
    {
        var serializer = new ContractSerializer<PriceTick>(environment.Registry);
        var id = await serializer.SchemaIdAsync(Topics.Ticks);
        var random = new Random(3);
        var sent = 0;
        var distinct = 0;
        Timing.Measure("pre-load ticks into Kafka", records, task =>
        {
            using var producer = new ProducerBuilder<byte[], byte[]>(environment.ProducerConfig(lingerMs: 20)).Build();
            foreach (var tick in Ticks())
            {
                if (sent == records)
                {
                    break;
                }

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

    /// <summary>One tick per coin per minute, for 250 coins.</summary>
    private static IEnumerable<PriceTick> Ticks()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; ; i++)
        {
            yield return new PriceTick
            {
                CoinId = $"coin-{i % 250:000}", Symbol = "c", EventTime = start.AddMinutes(i / 250), Price = 100 + (i % 97), MarketCap = 1e9,
                TotalVolume = 1e6, MarketCapRank = (i % 250) + 1, PreviousPrice = 99, Change = 1, ChangePct = 1, LogReturn = 0.01,
                VsCurrency = "usd", Source = DataSource.Simulator, RunId = "bench",
            };
        }
    }

    /// <summary>
    /// The Processor's loader in a consumer group of its own, into a new store, until its lag is zero. The first run is
    /// a warm-up, so that no measured run pays for compiling the consumer's, the decoder's and the store's code.
    /// </summary>
    private void RunLoader(TimedProgress task, string name)
    {
        var status = new BatchStageStatus();
        var store = target.OpenStore(name);
        store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        var options = new LoaderOptions { ConsumerGroup = $"bench-{name}", MaxBatchSize = BatchSize, BatchInterval = TimeSpan.FromMilliseconds(500) };
        var producer = new ProducerBuilder<byte[]?, byte[]?>(environment.ProducerConfig()).Build();
        var loader = new Loader(producer, null, environment.Registry, store, options,
            new ProcessorTelemetry(new NoMeters()), TimeProvider.System, NullLogger.Instance);
        var running = new RunningStage(new KafkaBatchStage("loader", loader, options, status, NullLogger.Instance), environment.ConsumerConfig(options.ConsumerGroup), producer);
        long lag;
        do
        {
            Thread.Sleep(200);
            lag = environment.Lag($"bench-{name}", Topics.Ticks);
            task.Value = records - lag;
        }
        while (lag > 0);

        running.Dispose();
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// What the seed's load step does: kafka-python with auto-commit, and collection.insert_one(data) for every record,
    /// letting the database pick each document's id. Returns the time its inserts spent syncing to disk.
    /// </summary>
    private TimeSpan RunSeedsWay(TimedProgress task)
    {
        var decoder = new ContractDecoder<PriceTick>(environment.Registry);
        using var collection = target.OpenSeedCollection("seed");
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
            collection.InsertOne(StoreDocuments.Tick(tick));
            if (++seen % 1000 == 0)
            {
                task.Value = seen;
            }
        }

        consumer.Close();
        task.Value = records;
        return collection.Syncing;
    }

    /// <summary>
    /// The distinct ticks in the loader's batch size, written straight to a new store: no Kafka, no decoding. The loader's
    /// batches hold the same ticks in partition order, so the two are close but not equal.
    /// </summary>
    private void RunStoreAlone(TimedProgress task, string name)
    {
        var store = target.OpenStore(name);
        store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        foreach (var batch in Ticks().Take((int)task.MaxValue).Chunk(BatchSize))
        {
            store.WriteAsync(StoreBatch.Reduce(batch, [], []), CancellationToken.None).GetAwaiter().GetResult();
            task.Increment(batch.Length);
        }

        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private sealed class NoMeters : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
