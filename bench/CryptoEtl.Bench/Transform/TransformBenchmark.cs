using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using CryptoEtl.Bench.Measuring;
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
internal sealed class TransformBenchmark(BenchEnvironment environment, int records, int naiveRecords, int latencyRecords, int repeats)
{
    private readonly string _checkpoints = Directory.CreateTempSubdirectory("cryptoetl-bench-checkpoints").FullName;

    public const string PassThroughTopic = "bench.passthrough";
    public const string NaiveTicksTopic = "bench.naive.ticks";
    public const string NaiveCandlesTopic = "bench.naive.candles";

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]transform benchmark[/]: {records:N0} snapshots, {repeats} runs each of the executor, its fair ceiling and the copy, naive loop on {naiveRecords:N0}, latency on {latencyRecords:N0}; {Environment.ProcessorCount} cores");
        var payloads = await LoadAsync();

        var ceiling = new FairCeiling(environment, records);
        await ceiling.PrepareAsync(environment.Registry);

        var naive = Timing.Measure($"naive per-record loop ({naiveRecords:N0} records)", naiveRecords, Naive);

        // The executor's first run is slower by a quarter or more in CPU time per record (its code is still being
        // compiled and tiered up; the ceiling's and the copy's Kafka code is compiled by the pre-load): not counted.
        using (StartExecutor(0))
        {
            Timing.Measure("warm-up: the local executor, not counted", records, task => WaitForGroup(task, ExecutorGroup(0)));
        }

        // The executor, its ceiling and the copy take turns, each on a fresh consumer group (the executor on fresh
        // checkpoints too), so that whatever slows the machine for a while slows all three alike.
        var executors = new List<Timing>();
        var ceilings = new List<Timing>();
        var copies = new List<Timing>();
        var probes = new List<MachineProbe>();
        Dictionary<string, long> produced = [];
        double p50 = 0, p99 = 0;
        for (var run = 1; run <= repeats; run++)
        {
            probes.Add(MachineProbe.Measure());
            var before = FairCeiling.OutputTopics.Keys.ToDictionary(t => t, environment.EndOffsets);
            var group = ExecutorGroup(run);
            using (StartExecutor(run))
            {
                executors.Add(Timing.Measure($"local executor (decode, transform, encode, produce, checkpoint), run {run}", records, task => WaitForGroup(task, group)));
                produced = before.ToDictionary(b => b.Key, b => environment.EndOffsets(b.Key) - b.Value);
                if (run == repeats)
                {
                    (p50, p99) = await LatencyAsync(payloads[..latencyRecords], Topics.Ticks, () => environment.Lag(group, Topics.Snapshots) == 0);
                }
            }

            ceilings.Add(Timing.Measure($"fair ceiling (consume, re-produce the executor's {produced.Values.Sum():N0} outputs as bytes), run {run}", records, task => ceiling.Run(task, produced, $"bench-ceiling-{run}")));
            copies.Add(Timing.Measure($"one-to-one copy (consume + re-produce bytes), run {run}", records, task => PassThrough(task, $"bench-passthrough-{run}")));
        }

        // Streamiz is timed until it has written a tick for every snapshot, not until it commits: it commits about every
        // 30 s here whatever CommitIntervalMs says, which would make it look slower than it is.
        double streamizRate, streamizP50, streamizP99;
        var streamizWritten = TimeSpan.Zero;
        using (StreamizPeer.Start(environment.Bootstrap, environment.Registry))
        {
            var started = Stopwatch.StartNew();
            var committed = Timing.Measure("Kafka Streams for .NET (Streamiz 1.8.2), the same job", records, task =>
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
            streamizRate = records / streamizWritten.TotalSeconds;
            AnsiConsole.MarkupLine($"Streamiz wrote every tick after {streamizWritten.TotalSeconds:0.00} s and had committed them after {committed.Seconds:0.00} s");
            var streamizTicks = records + 2L * latencyRecords;
            (streamizP50, streamizP99) = await LatencyAsync(payloads[latencyRecords..], StreamizPeer.TicksTopic, () => environment.EndOffsets(StreamizPeer.TicksTopic) >= streamizTicks);
        }

        var streamizOutputs = environment.EndOffsets(StreamizPeer.TicksTopic) + environment.EndOffsets(StreamizPeer.CandlesTopic);
        var check = StreamizCheck.Compare(environment, records);

        var table = new Table().AddColumns("run", "records out", "seconds", "records in/s", "after start-up", "start-up s", "CPU µs/record", "cores used");
        foreach (var (name, runs, outputs) in new[] { ("local executor", executors, produced.Values.Sum()), ("fair ceiling", ceilings, produced.Values.Sum()), ("one-to-one copy", copies, records) })
        {
            foreach (var (timing, run) in runs.Select((t, i) => (t, i + 1)))
            {
                table.AddRow($"{name} {run}", $"{outputs:N0}", $"{timing.Seconds:0.00}", $"{timing.Rate:N0}", $"{timing.SteadyRate:N0}",
                    $"{timing.StartSeconds:0.00}", $"{timing.CpuMicrosecondsPerRecord:0.0}", $"{timing.CoresUsed:0.00}");
            }
        }

        table.AddRow("Streamiz", $"{streamizOutputs:N0}", $"{streamizWritten.TotalSeconds:0.00}", $"{streamizRate:N0}", "", "", "", "");
        table.AddRow("naive loop", "", $"{naive.Seconds:0.00}", $"{naive.Rate:N0}", "", "", $"{naive.CpuMicrosecondsPerRecord:0.0}", $"{naive.CoresUsed:0.00}");
        AnsiConsole.Write(table);

        var executor = new Spread(executors.Select(t => t.Rate));
        var ofCeiling = new Spread(executors.Zip(ceilings, (e, c) => 100 * e.Rate / c.Rate));
        var ofCopy = new Spread(executors.Zip(copies, (e, c) => 100 * e.Rate / c.Rate));
        var steadyOfCeiling = new Spread(executors.Zip(ceilings, (e, c) => 100 * e.SteadyRate / c.SteadyRate));
        var cpuOfCeiling = new Spread(executors.Zip(ceilings, (e, c) => 100 * c.CpuSeconds / e.CpuSeconds));
        AnsiConsole.MarkupLine($"executor outputs (last run): {string.Join(", ", produced.Select(p => $"{p.Key} {p.Value:N0}"))}");
        AnsiConsole.MarkupLine(Markup.Escape($"executor {executor.ToString("0")} rec/s: {ofCeiling} % of the fair ceiling run after it, {steadyOfCeiling} % after start-up, " +
            $"{cpuOfCeiling} % in CPU time (the ceiling's CPU time over the executor's)"));
        AnsiConsole.MarkupLine(Markup.Escape($"the machine before each run: {string.Join("; ", probes)}"));
        var machine = new Spread(probes.Select(p => p.SingleThread));
        var parallelism = new Spread(probes.Select(p => p.Parallelism));
        AnsiConsole.MarkupLine(!machine.TooNoisy && parallelism.Min >= 0.9 * Environment.ProcessorCount
            ? "the machine was steady with every core its own: these figures can be held against another such run"
            : "[yellow]the machine was not steady or not all its own (see above): too noisy to judge against another run[/]");
        AnsiConsole.MarkupLine($"produce-to-produce latency (snapshot -> tick) at 5,000/s: executor p50 {p50:0.0} ms, p99 {p99:0.0} ms; Streamiz p50 {streamizP50:0.0} ms, p99 {streamizP99:0.0} ms");
        AnsiConsole.MarkupLine($"same candles: {check}");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"transform: {executor.ToString("0")} rec/s, {ofCeiling}% of fair ceiling, {ofCopy}% of one-to-one copy, " +
            $"{executor.Median / streamizRate:0.0}x streamiz, {executor.Median / naive.Rate:0.0}x naive (latency p50 {p50:0.0} ms, p99 {p99:0.0} ms; streamiz p50 {streamizP50:0.0} ms, p99 {streamizP99:0.0} ms; " +
            $"machine {machine.ToString("0")} hashes/s, {parallelism.ToString("0.00")} cores' worth)"));
        return 0;
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

        Timing.Measure("pre-load snapshots into Kafka", records, task =>
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
    private void PassThrough(TimedProgress task, string group)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(environment.ConsumerConfig(group)).Build();
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

    /// <summary>Until the group has committed every pre-loaded snapshot.</summary>
    private void WaitForGroup(TimedProgress task, string group)
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
    private void Naive(TimedProgress task)
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

        Timing.Measure($"latency: {latencyRecords:N0} snapshots at 5,000/s into {ticksTopic}", latencyRecords, task =>
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

    private static string ExecutorGroup(int run) => $"bench-local-{run}";

    /// <summary>The executor as the service runs it, with a 50 ms batch interval (batches fill by size under load), on fresh checkpoints.</summary>
    private RunningStage StartExecutor(int run)
    {
        var consumer = environment.ConsumerConfig(ExecutorGroup(run));
        consumer.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        var options = new LocalExecutorOptions { MaxBatchSize = 20_000, BatchInterval = TimeSpan.FromMilliseconds(50), ConsumerGroup = ExecutorGroup(run) };
        var status = new BatchStageStatus();
        var producerConfig = environment.ProducerConfig();
        KafkaConnection.StatusOnlyDeliveryReports(producerConfig); // as the service's batch stage has it
        var producer = new ProducerBuilder<byte[]?, byte[]?>(producerConfig).Build();
        var executor = new LocalExecutor(producer, null, environment.Registry, new TransformOptions(), options,
            Path.Combine(_checkpoints, $"run-{run}"), new SparkJobTelemetry(new NoMeters()), TimeProvider.System, NullLogger.Instance);
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
