using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using CryptoEtl.Bench.Pipeline;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.SparkJob.Local;
using CryptoEtl.SparkJob.Telemetry;
using CryptoEtl.SparkJob.Transform;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace CryptoEtl.Bench.Transform;

/// <summary>
/// The local executor end to end (consume, Avro decode, transform, Avro encode, produce, checkpoint) against a topic
/// pre-loaded with N snapshots, compared in the same run with the fair ceiling (the same input and the same outputs as
/// raw bytes: <see cref="FairCeiling"/>), a one-to-one copy, and a naive per-record loop (the floor), plus
/// produce-to-produce latency at a steady rate.
/// </summary>
internal sealed class TransformBenchmark(BenchEnvironment environment, int records, int naiveRecords, int latencyRecords)
{
    private readonly string _checkpoints = Directory.CreateTempSubdirectory("cryptoetl-bench-checkpoints").FullName;

    public const string PassThroughTopic = "bench.passthrough";
    public const string NaiveTicksTopic = "bench.naive.ticks";
    public const string NaiveCandlesTopic = "bench.naive.candles";

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]transform benchmark[/]: {records:N0} snapshots, naive loop on {naiveRecords:N0}, latency on {latencyRecords:N0}; {Environment.ProcessorCount} cores");
        var payloads = await LoadAsync();

        var ceiling = new FairCeiling(environment, records);
        await ceiling.PrepareAsync(environment.Registry);

        var passThrough = Measure("one-to-one copy (consume + re-produce bytes)", records, PassThrough);
        var naive = Measure($"naive per-record loop ({naiveRecords:N0} records)", naiveRecords, Naive);
        (double Seconds, double Rate) executor;
        Dictionary<string, long> produced;
        double p50, p99;
        using (var running = StartExecutor())
        {
            executor = Measure("local executor (decode, transform, encode, produce, checkpoint)", records, WaitForExecutor);
            produced = FairCeiling.OutputTopics.Keys.ToDictionary(t => t, environment.EndOffsets);
            (p50, p99) = await LatencyAsync(payloads[..latencyRecords], Topics.Ticks, () => environment.Lag(ExecutorGroup, Topics.Snapshots) == 0);
        }

        var outputs = produced.Values.Sum();
        var fair = Measure($"fair ceiling (consume, re-produce the executor's {outputs:N0} outputs as bytes)", records, task => ceiling.Run(task, produced));
        // Streamiz is timed until it has written a tick for every snapshot, not until it commits: it commits about every
        // 30 s here whatever CommitIntervalMs says, which would make it look slower than it is.
        (double Seconds, double Rate) streamiz;
        double streamizP50, streamizP99;
        var streamizWritten = TimeSpan.Zero;
        using (StreamizPeer.Start(environment.Bootstrap, environment.Registry))
        {
            var started = Stopwatch.StartNew();
            var committed = Measure("Kafka Streams for .NET (Streamiz 1.8.2), the same job", records, task =>
            {
                // Written: a tick out for every snapshot in; done: Streamiz has committed them all.
                while (environment.EndOffsets(StreamizPeer.TicksTopic) < records)
                {
                    Thread.Sleep(50);
                    task.Value = environment.EndOffsets(StreamizPeer.TicksTopic);
                }

                streamizWritten = started.Elapsed;
                WaitForGroup(task, StreamizPeer.ApplicationId);
            });
            streamiz = (streamizWritten.TotalSeconds, records / streamizWritten.TotalSeconds);
            AnsiConsole.MarkupLine($"Streamiz wrote every tick after {streamizWritten.TotalSeconds:0.00} s and had committed them after {committed.Seconds:0.00} s");
            var streamizTicks = records + 2L * latencyRecords;
            (streamizP50, streamizP99) = await LatencyAsync(payloads[latencyRecords..], StreamizPeer.TicksTopic, () => environment.EndOffsets(StreamizPeer.TicksTopic) >= streamizTicks);
        }


        var streamizOutputs = environment.EndOffsets(StreamizPeer.TicksTopic) + environment.EndOffsets(StreamizPeer.CandlesTopic);
        var check = StreamizCheck.Compare(environment, records);

        var table = new Table().AddColumns("run", "records in", "records out", "seconds", "records in/s");
        table.AddRow("fair ceiling", $"{records:N0}", $"{outputs:N0}", $"{fair.Seconds:0.00}", $"{fair.Rate:N0}");
        table.AddRow("local executor", $"{records:N0}", $"{outputs:N0}", $"{executor.Seconds:0.00}", $"{executor.Rate:N0}");
        table.AddRow("Streamiz", $"{records:N0}", $"{streamizOutputs:N0}", $"{streamiz.Seconds:0.00}", $"{streamiz.Rate:N0}");
        table.AddRow("one-to-one copy", $"{records:N0}", $"{records:N0}", $"{passThrough.Seconds:0.00}", $"{passThrough.Rate:N0}");
        table.AddRow("naive loop", $"{naiveRecords:N0}", "", $"{naive.Seconds:0.00}", $"{naive.Rate:N0}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"executor outputs: {string.Join(", ", produced.Select(p => $"{p.Key} {p.Value:N0}"))}");
        AnsiConsole.MarkupLine($"produce-to-produce latency (snapshot -> tick) at 5,000/s: executor p50 {p50:0.0} ms, p99 {p99:0.0} ms; Streamiz p50 {streamizP50:0.0} ms, p99 {streamizP99:0.0} ms");
        AnsiConsole.MarkupLine($"same candles: {check}");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"transform: {executor.Rate:0} rec/s, {100 * executor.Rate / fair.Rate:0.0}% of fair ceiling, {100 * executor.Rate / passThrough.Rate:0.0}% of one-to-one copy, " +
            $"{executor.Rate / streamiz.Rate:0.0}x streamiz, {executor.Rate / naive.Rate:0.0}x naive (latency p50 {p50:0.0} ms, p99 {p99:0.0} ms; streamiz p50 {streamizP50:0.0} ms, p99 {streamizP99:0.0} ms)"));
        return 0;
    }

    private static (double Seconds, double Rate) Measure(string name, int count, Action<ProgressTask> run)
    {
        var stopwatch = Stopwatch.StartNew();
        AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context => run(context.AddTask(name, maxValue: count)));
        var seconds = stopwatch.Elapsed.TotalSeconds;
        return (seconds, count / seconds);
    }

    /// <summary>Encodes the snapshots once and produces them, keyed by coin.</summary>
    private async Task<List<byte[]>> LoadAsync()
    {
        var serializer = new ContractSerializer<MarketSnapshot>(environment.Registry);
        var payloads = new List<(string Key, byte[] Value)>(records);
        foreach (var snapshot in SyntheticMarket.Snapshots(records + 2 * latencyRecords))
        {
            payloads.Add((snapshot.Id, await serializer.SerializeAsync(snapshot, new SerializationContext(MessageComponentType.Value, Topics.Snapshots))));
        }

        Measure("pre-load snapshots into Kafka", records, task =>
        {
            using var producer = new ProducerBuilder<byte[], byte[]>(environment.ProducerConfig(lingerMs: 20)).Build();
            for (var i = 0; i < records; i++)
            {
                Produce(producer, Topics.Snapshots, Encoding.UTF8.GetBytes(payloads[i].Key), payloads[i].Value);
                if (i % 10_000 == 0)
                {
                    task.Value = i;
                }
            }

            producer.Flush();
            task.Value = records;
        });

        return payloads.Skip(records).Select(p => p.Value).ToList(); // the executor's latency run, then Streamiz's
    }

    /// <summary>The ceiling: read every snapshot and write its bytes to another topic, nothing else.</summary>
    private void PassThrough(ProgressTask task)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(environment.ConsumerConfig("bench-passthrough")).Build();
        using var producer = new ProducerBuilder<byte[], byte[]>(environment.ProducerConfig()).Build();
        consumer.Subscribe(Topics.Snapshots);
        var seen = 0;
        while (seen < records)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { IsPartitionEOF: false } result)
            {
                Produce(producer, PassThroughTopic, result.Message.Key, result.Message.Value);
                seen++;
                if (seen % 10_000 == 0)
                {
                    task.Value = seen;
                }
            }
        }

        producer.Flush();
        consumer.Close();
        task.Value = records;
    }

    private void WaitForExecutor(ProgressTask task) => WaitForGroup(task, ExecutorGroup);

    /// <summary>Until the group has committed every pre-loaded snapshot.</summary>
    private void WaitForGroup(ProgressTask task, string group)
    {
        long lag;
        do
        {
            Thread.Sleep(100);
            lag = environment.Lag(group, Topics.Snapshots);
            task.Value = records - lag;
        }
        while (lag > 0);
    }

    /// <summary>The floor: one record at a time, waiting for each output and committing each input, as naive consumers do.</summary>
    private void Naive(ProgressTask task)
    {
        var decoder = new ContractDecoder<MarketSnapshot>(environment.Registry);
        var ticks = new ContractSerializer<PriceTick>(environment.Registry);
        var candles = new ContractSerializer<Candle>(environment.Registry);
        var transform = new StreamTransform(new TransformOptions());
        var states = new Dictionary<int, PartitionState>();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(environment.ConsumerConfig("bench-naive")).Build();
        using var producer = new ProducerBuilder<byte[], byte[]>(environment.ProducerConfig(lingerMs: 0)).Build();
        consumer.Subscribe(Topics.Snapshots);
        for (var seen = 0; seen < naiveRecords;)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { IsPartitionEOF: false } result)
            {
                continue;
            }

            var snapshot = decoder.DecodeAsync(result.Message.Value, Topics.Snapshots).GetAwaiter().GetResult().Value!;
            var state = states.TryGetValue(result.Partition.Value, out var s) ? s : states[result.Partition.Value] = new PartitionState();
            var output = new TransformOutput();
            transform.Process(state, snapshot, 0, output);
            transform.CompleteBatch(output);
            foreach (var tick in output.Ticks)
            {
                var value = ticks.SerializeAsync(tick, new SerializationContext(MessageComponentType.Value, NaiveTicksTopic)).GetAwaiter().GetResult();
                producer.ProduceAsync(NaiveTicksTopic, new Message<byte[], byte[]> { Key = result.Message.Key, Value = value }).GetAwaiter().GetResult();
            }

            foreach (var candle in output.Candles)
            {
                var value = candles.SerializeAsync(candle, new SerializationContext(MessageComponentType.Value, NaiveCandlesTopic)).GetAwaiter().GetResult();
                producer.ProduceAsync(NaiveCandlesTopic, new Message<byte[], byte[]> { Key = result.Message.Key, Value = value }).GetAwaiter().GetResult();
            }

            consumer.Commit(result);
            seen++;
            if (seen % 500 == 0)
            {
                task.Value = seen;
            }
        }

        consumer.Close();
        task.Value = naiveRecords;
    }

    /// <summary>
    /// Snapshots produced at a steady rate while a job runs: the time from each snapshot's produce to its tick's arrival
    /// at a consumer of <paramref name="ticksTopic"/> that reads along (arrival, not the tick's timestamp: Kafka Streams
    /// stamps its outputs with the event time), once <paramref name="caughtUp"/> says the job has taken them all.
    /// </summary>
    private async Task<(double P50, double P99)> LatencyAsync(List<byte[]> payloads, string ticksTopic, Func<bool> caughtUp)
    {
        var decoder = new ContractDecoder<MarketSnapshot>(environment.Registry);
        var keys = new List<(string Coin, long Time)>();
        foreach (var payload in payloads)
        {
            var snapshot = (await decoder.DecodeAsync(payload, Topics.Snapshots)).Value!;
            keys.Add((snapshot.Id, snapshot.LastUpdated.ToUnixTimeMilliseconds()));
        }

        var sent = new System.Collections.Concurrent.ConcurrentDictionary<(string, long), long>();
        var arrived = new System.Collections.Concurrent.ConcurrentDictionary<(string, long), long>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var consumer = new ConsumerBuilder<byte[], byte[]>(environment.ConsumerConfig($"bench-latency-{Guid.NewGuid():N}")).Build();
        consumer.Assign(consumer.EndsNow(ticksTopic).Select(e => new TopicPartitionOffset(e.Key, e.Value)));
        var reader = Task.Run(async () =>
        {
            var tickDecoder = new ContractDecoder<PriceTick>(environment.Registry);
            while (arrived.Count < payloads.Count && !stop.IsCancellationRequested)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
                {
                    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    var tick = (await tickDecoder.DecodeAsync(result.Message.Value, ticksTopic)).Value!;
                    arrived.TryAdd((tick.CoinId, tick.EventTime.ToUnixTimeMilliseconds()), now);
                }
            }
        });

        Measure($"latency: {latencyRecords:N0} snapshots at 5,000/s into {ticksTopic}", latencyRecords, task =>
        {
            using var producer = new ProducerBuilder<byte[], byte[]>(environment.ProducerConfig(lingerMs: 1)).Build();
            var started = Stopwatch.StartNew();
            for (var i = 0; i < payloads.Count; i++)
            {
                while (started.Elapsed.TotalSeconds < i / 5000.0)
                {
                    Thread.SpinWait(50);
                }

                var timestamp = DateTimeOffset.UtcNow;
                sent[keys[i]] = timestamp.ToUnixTimeMilliseconds();
                Produce(producer, Topics.Snapshots, Encoding.UTF8.GetBytes(keys[i].Coin), payloads[i], new Timestamp(timestamp));
                task.Value = i;
            }

            producer.Flush();
            while (!caughtUp())
            {
                Thread.Sleep(50);
            }

            task.Value = latencyRecords;
        });

        await reader;
        var latencies = arrived.Where(a => sent.ContainsKey(a.Key)).Select(a => (double)(a.Value - sent[a.Key])).Order().ToList();
        return (Percentiles.Of(latencies, 50), Percentiles.Of(latencies, 99));
    }

    private const string ExecutorGroup = "bench-local";

    /// <summary>The executor as the service runs it, with a 50 ms batch interval (batches fill by size under load).</summary>
    private RunningStage StartExecutor()
    {
        var consumer = environment.ConsumerConfig(ExecutorGroup);
        consumer.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        var options = new LocalExecutorOptions { MaxBatchSize = 20_000, BatchInterval = TimeSpan.FromMilliseconds(50), ConsumerGroup = ExecutorGroup };
        var status = new BatchStageStatus();
        var producer = new ProducerBuilder<byte[]?, byte[]?>(environment.ProducerConfig()).Build();
        var executor = new LocalExecutor(producer, null, environment.Registry, new TransformOptions(), options,
            _checkpoints, new SparkJobTelemetry(new NoMeters()), TimeProvider.System, NullLogger.Instance);
        return new RunningStage(new KafkaBatchStage("local executor", executor, options, status, NullLogger.Instance), consumer, producer);
    }

    internal static void Produce(IProducer<byte[], byte[]> producer, string topic, byte[] key, byte[] value, Timestamp? timestamp = null)
    {
        var message = new Message<byte[], byte[]> { Key = key, Value = value };
        if (timestamp is { } t)
        {
            message.Timestamp = t;
        }

        while (true)
        {
            try
            {
                producer.Produce(topic, message);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }

    private sealed class NoMeters : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
