using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka;
using CryptoEtl.SparkJob.Telemetry;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob.Local;

/// <summary>
/// Runs the transformation on one machine as a member of a consumer group on the snapshots topic, in micro-batches:
/// read up to MaxBatchSize records or for BatchInterval; decode, transform and encode each partition's records in
/// parallel; wait until every output is acknowledged; then checkpoint each partition's state with the offset it covers
/// and commit that offset. A failed batch (registry or Kafka down) restarts from the checkpoints after a backoff, so
/// nothing is lost and, since outputs are deterministic, repeats are harmless downstream.
/// </summary>
public sealed class LocalExecutor : IDisposable
{
    public const string Stage = "transform";

    private readonly ConsumerConfig _consumerConfig;
    private readonly LocalExecutorOptions _options;
    private readonly StreamTransform _transform;
    private readonly CheckpointStore _checkpoints;
    private readonly OutputWriter _output;
    private readonly ContractDecoder<MarketSnapshot> _decoder;
    private readonly SparkJobTelemetry _telemetry;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}";
    private readonly ConcurrentDictionary<int, PartitionState> _states = new();
    private readonly List<ConsumeResult<byte[]?, byte[]?>> _pending = [];

    // Offsets already covered by a durable checkpoint but not yet committed to the group (a commit fails during a
    // rebalance, and a partition taken over from a checkpoint may have nothing new to process). The checkpoint is what
    // the job resumes from; the commit is what lag monitoring and a job without checkpoints read, so it is retried.
    private readonly ConcurrentDictionary<int, long> _uncommitted = new();

    public LocalExecutor(ConsumerConfig consumerConfig, ProducerConfig producerConfig, ISchemaRegistryClient registry, TransformOptions transform,
        LocalExecutorOptions options, string checkpointDirectory, SparkJobTelemetry telemetry, TimeProvider clock, ILogger logger)
    {
        _consumerConfig = consumerConfig;
        _options = options;
        _transform = new StreamTransform(transform);
        _checkpoints = new CheckpointStore(checkpointDirectory, options.FsyncCheckpoints);
        _output = new OutputWriter(producerConfig, registry, logger);
        _decoder = new ContractDecoder<MarketSnapshot>(registry, clock);
        _telemetry = telemetry;
        _clock = clock;
        _logger = logger;
        Health = new StageHealth(clock);
        _logger.Started(consumerConfig.GroupId, checkpointDirectory, string.Join(",", _transform.Intervals.Select(i => i.Name)), transform.AllowedLateness);
    }

    /// <summary>Whether batches succeed, for /health.</summary>
    public StageHealth Health { get; }

    /// <summary>Partitions this instance owns right now.</summary>
    public IReadOnlyCollection<int> OwnedPartitions => _states.Keys.Order().ToList();

    /// <summary>Consumes until cancelled (blocking: run it on its own thread).</summary>
    public void Run(CancellationToken cancellation)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(_consumerConfig)
            .SetLogHandler(KafkaLogging.To(_logger))
            .SetPartitionsAssignedHandler((c, partitions) => partitions.Select(p => Assign(c, p)).ToList())
            .SetPartitionsRevokedHandler((_, partitions) => Release(partitions.Select(p => p.TopicPartition)))
            .SetPartitionsLostHandler((_, partitions) => Release(partitions.Select(p => p.TopicPartition)))
            .Build();
        consumer.Subscribe(Topics.Snapshots);
        var failures = 0;
        Health.Running = true;
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var batch = Collect(consumer, cancellation);
                if (batch.Count == 0)
                {
                    CommitCheckpointed(consumer);
                    continue;
                }

                try
                {
                    ProcessBatch(consumer, batch, cancellation);
                    failures = 0;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failures++;
                    _telemetry.BatchFailures.Add(1);
                    Health.Failed(e.Message);
                    if (failures >= _options.PoisonAfterFailures && !TransientFailures.IsTransient(e))
                    {
                        // Retrying cannot cure this one: find the record that causes it, set it aside, and move on.
                        _logger.IsolatingBatch(batch.Count, failures, e.Message);
                        IsolatePoison(consumer, batch, cancellation);
                        failures = 0;
                        continue;
                    }

                    var delay = TimeSpan.FromMilliseconds(Math.Min(_options.MaxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 10))));
                    _logger.BatchFailed(delay, e.Describe());
                    cancellation.WaitHandle.WaitOne(delay);
                    RestartFromCheckpoints(consumer);
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        finally
        {
            Health.Running = false;
            consumer.Close();
        }
    }

    public void Dispose() => _output.Dispose();

    /// <summary>Reads the next micro-batch (a rebalance during the read removes revoked partitions' records from it).</summary>
    private List<ConsumeResult<byte[]?, byte[]?>> Collect(IConsumer<byte[]?, byte[]?> consumer, CancellationToken cancellation)
    {
        consumer.Collect(_pending, _options.MaxBatchSize, _options.BatchInterval, cancellation, r => _states.ContainsKey(r.Partition.Value));
        return [.. _pending];
    }

    private void ProcessBatch(IConsumer<byte[]?, byte[]?> consumer, List<ConsumeResult<byte[]?, byte[]?>> batch, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var byPartition = batch.GroupBy(r => r.Partition.Value).Select(g => (Partition: g.Key, Records: g.ToList())).ToList();
        using var activity = KafkaTracing.StartProcess(SparkJobTelemetry.Source, Topics.Snapshots, _consumerConfig.GroupId,
            batch.Take(256).Select(r => KafkaTracing.Extract(r.Message.Headers)), batch.Count);

        var results = new PartitionResult[byPartition.Count];
        Parallel.For(0, byPartition.Count, new ParallelOptions
        {
            MaxDegreeOfParallelism = _options.Parallelism > 0 ? _options.Parallelism : Environment.ProcessorCount,
            CancellationToken = cancellation,
        }, i => results[i] = ProcessPartition(byPartition[i].Partition, byPartition[i].Records, activity));

        _output.WaitForDeliveries(cancellation);

        foreach (var (partition, records) in byPartition)
        {
            Checkpoint(partition, records[^1].Offset.Value + 1);
        }

        CommitCheckpointed(consumer);
        Record(batch.Count, results, Stopwatch.GetElapsedTime(started), consumer);
        Health.Succeeded();
    }

    /// <summary>
    /// A batch failed <see cref="LocalExecutorOptions.PoisonAfterFailures"/> times for a reason retrying does not cure
    /// (<see cref="TransientFailures"/>). Its records are taken again one at a time from the last checkpoint, each
    /// checkpointed on its own; a record whose processing, delivery or checkpoint fails is dead-lettered
    /// (<c>processing_failed</c>, with the error) and its partition moves on from the state before it.
    /// </summary>
    private void IsolatePoison(IConsumer<byte[]?, byte[]?> consumer, List<ConsumeResult<byte[]?, byte[]?>> batch, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var results = new List<PartitionResult>();
        foreach (var records in batch.GroupBy(r => r.Partition.Value))
        {
            var partition = new TopicPartition(Topics.Snapshots, records.Key);
            var checkpoint = _checkpoints.Load(partition);
            var resumeAt = checkpoint?.NextOffset ?? 0;
            foreach (var record in records.Where(r => r.Offset.Value >= resumeAt).OrderBy(r => r.Offset.Value))
            {
                if (!_states.ContainsKey(records.Key))
                {
                    break; // revoked, or fenced by another instance
                }

                try
                {
                    _states[records.Key] = _checkpoints.Load(partition)?.State ?? new PartitionState();
                    var result = ProcessPartition(records.Key, [record], null);
                    _output.WaitForDeliveries(cancellation);
                    Checkpoint(records.Key, record.Offset.Value + 1);
                    results.Add(result);
                }
                catch (Exception e) when (e is not OperationCanceledException && !TransientFailures.IsTransient(e))
                {
                    _logger.PoisonRecord(record.Partition.Value, record.Offset.Value, e.Message);
                    _states[records.Key] = _checkpoints.Load(partition)?.State ?? new PartitionState();
                    _output.DeadLetter(DeadLetters.FromMessage(Stage, DeadLetterReasons.ProcessingFailed, e.Describe(), record, _clock.GetUtcNow()));
                    _output.WaitForDeliveries(cancellation);
                    Checkpoint(records.Key, record.Offset.Value + 1);
                    results.Add(new PartitionResult(0, 0, 0, 0, 0, [DeadLetterReasons.ProcessingFailed]));
                }
            }
        }

        CommitCheckpointed(consumer);
        Record(batch.Count, [.. results], Stopwatch.GetElapsedTime(started), consumer);
        Health.Succeeded();
    }

    /// <summary>Saves a partition's state as covering every record before <paramref name="next"/>, unless another instance is further ahead.</summary>
    private void Checkpoint(int partition, long next)
    {
        if (!_states.TryGetValue(partition, out var state))
        {
            return;
        }

        if (_checkpoints.Save(new TopicPartition(Topics.Snapshots, partition), new PartitionCheckpoint(next, state, _clock.GetUtcNow(), _owner)))
        {
            _uncommitted[partition] = next;
        }
        else
        {
            _logger.Fenced(partition);
            _states.TryRemove(partition, out _);
            _uncommitted.TryRemove(partition, out _);
        }
    }

    private PartitionResult ProcessPartition(int partition, List<ConsumeResult<byte[]?, byte[]?>> records, Activity? trace)
    {
        var state = _states[partition];
        var output = new TransformOutput();
        var rejected = new List<string>();
        for (var i = 0; i < records.Count; i++)
        {
            var decoded = _decoder.DecodeAsync(records[i].Message.Value, Topics.Snapshots).GetAwaiter().GetResult();
            if (!decoded.Success)
            {
                _output.DeadLetter(DeadLetters.FromMessage(Stage, decoded.Reason!, decoded.Error, records[i], _clock.GetUtcNow()));
                rejected.Add(decoded.Reason!);
                continue;
            }

            _transform.Process(state, decoded.Value!, i, output);
        }

        _transform.CompleteBatch(output);
        foreach (var index in output.Late)
        {
            var watermark = _transform.Watermark(state);
            _output.DeadLetter(DeadLetters.FromMessage(Stage, DeadLetterReasons.Late,
                $"Behind the watermark {(watermark is { } w ? DateTimeOffset.FromUnixTimeMilliseconds(w).ToString("O", CultureInfo.InvariantCulture) : "?")}: one of its windows is already final.",
                records[index], _clock.GetUtcNow()));
        }

        foreach (var tick in output.Ticks)
        {
            _output.Tick(tick, trace);
        }

        foreach (var candle in output.Candles)
        {
            _output.Candle(candle, trace);
        }

        foreach (var alert in output.Alerts)
        {
            _output.Alert(alert, trace);
        }

        return new PartitionResult(output.Ticks.Count, output.Candles.Count, output.Alerts.Count, output.Late.Count, output.Duplicates, rejected);
    }

    /// <summary>Commits the checkpointed offsets of owned partitions; a failure (a rebalance in progress) leaves them for the next try.</summary>
    private void CommitCheckpointed(IConsumer<byte[]?, byte[]?> consumer)
    {
        var offsets = _uncommitted.Where(e => _states.ContainsKey(e.Key))
            .Select(e => new TopicPartitionOffset(Topics.Snapshots, e.Key, e.Value)).ToList();
        if (offsets.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(offsets);
            foreach (var offset in offsets)
            {
                _uncommitted.TryRemove(new KeyValuePair<int, long>(offset.Partition.Value, offset.Offset.Value));
            }
        }
        catch (KafkaException e)
        {
            _logger.CommitDeferred(offsets.Count, e.Error.Reason);
        }
    }

    private TopicPartitionOffset Assign(IConsumer<byte[]?, byte[]?> consumer, TopicPartition partition)
    {
        var checkpoint = _checkpoints.Load(partition);
        if (checkpoint is not null && consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High is { IsSpecial: false } end && checkpoint.NextOffset > end.Value)
        {
            // The log is shorter than the checkpoint says: the topic was recreated (the embedded broker keeps it in
            // memory, so every run starts empty). The checkpoint belongs to the old log; start this partition afresh.
            _logger.CheckpointBeyondLog(partition.Partition.Value, checkpoint.NextOffset, end.Value, checkpoint.WrittenAt);
            _checkpoints.Delete(partition);
            checkpoint = null;
        }

        _states[partition.Partition.Value] = checkpoint?.State ?? new PartitionState();
        if (checkpoint is not null)
        {
            _uncommitted[partition.Partition.Value] = checkpoint.NextOffset;
        }

        var offset = checkpoint is null ? Offset.Unset : new Offset(checkpoint.NextOffset);
        _logger.Assigned(partition.Partition.Value, checkpoint is null ? "committed or earliest" : checkpoint.NextOffset.ToString(CultureInfo.InvariantCulture),
            checkpoint is null ? "no checkpoint" : $"checkpoint of {checkpoint.Owner} at {checkpoint.WrittenAt:O}");
        return new TopicPartitionOffset(partition, offset);
    }

    private void Release(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            // Records of a revoked partition not processed yet belong to its next owner, which resumes from the checkpoint.
            _pending.RemoveAll(r => r.Partition == partition.Partition);
            _states.TryRemove(partition.Partition.Value, out _);
            _uncommitted.TryRemove(partition.Partition.Value, out _);
            _logger.Revoked(partition.Partition.Value);
        }
    }

    /// <summary>After a failed batch the in-memory state is ahead of what is durable: reload it and re-read from there.</summary>
    private void RestartFromCheckpoints(IConsumer<byte[]?, byte[]?> consumer)
    {
        foreach (var partition in consumer.Assignment)
        {
            var checkpoint = _checkpoints.Load(partition);
            _states[partition.Partition.Value] = checkpoint?.State ?? new PartitionState();
            var committed = consumer.Committed([partition], TimeSpan.FromSeconds(10)).Single().Offset;
            consumer.Seek(new TopicPartitionOffset(partition,
                checkpoint is not null ? new Offset(checkpoint.NextOffset) : committed.IsSpecial ? Offset.Beginning : committed));
        }
    }

    private void Record(int records, PartitionResult[] results, TimeSpan elapsed, IConsumer<byte[]?, byte[]?> consumer)
    {
        var ticks = results.Sum(r => r.Ticks);
        var candles = results.Sum(r => r.Candles);
        var alerts = results.Sum(r => r.Alerts);
        var late = results.Sum(r => r.Late);
        _telemetry.RecordsIn.Add(records);
        _telemetry.RecordsOut.Add(ticks, new KeyValuePair<string, object?>("topic", Topics.Ticks));
        _telemetry.RecordsOut.Add(candles, new KeyValuePair<string, object?>("topic", Topics.Candles));
        _telemetry.RecordsOut.Add(alerts, new KeyValuePair<string, object?>("topic", Topics.Alerts));
        _telemetry.Late.Add(late);
        _telemetry.Duplicates.Add(results.Sum(r => r.Duplicates));
        foreach (var reason in results.SelectMany(r => r.Rejected))
        {
            // Counted once the batch is checkpointed: a retried batch sends its dead letters again, but counts them once.
            _telemetry.DeadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }

        _telemetry.BatchDuration.Record(elapsed.TotalSeconds);
        _telemetry.Lag = consumer.OfAssignment();
        _logger.BatchDone(records, ticks, candles, alerts, late, results.Sum(r => r.Rejected.Count + r.Late), elapsed);
    }

    private readonly record struct PartitionResult(int Ticks, int Candles, int Alerts, int Late, int Duplicates, IReadOnlyList<string> Rejected);
}
