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
using CryptoEtl.Kafka.Stages;
using CryptoEtl.ServiceDefaults.State;
using CryptoEtl.SparkJob.Telemetry;
using CryptoEtl.SparkJob.Transform;
using Microsoft.Extensions.Options;

namespace CryptoEtl.SparkJob.Local;

/// <summary>
/// Runs the transformation on one machine, as the sink of a <see cref="KafkaBatchStage"/> on the snapshots topic, in
/// micro-batches: decode, transform and encode each partition's records in parallel; wait until every output is
/// acknowledged; then checkpoint each partition's state with the offset it covers, which the stage commits. A failed
/// batch (registry or Kafka down) is tried again from the checkpoints after a backoff, so nothing is lost and, since
/// outputs are deterministic, repeats are harmless downstream.
/// </summary>
public sealed class LocalExecutor : BatchSink
{
    public const string Stage = "transform";
    public const string ServiceName = "sparkjob";

    private static readonly string[] Input = [Topics.Snapshots];

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

    // Per owned partition, which log of it the offsets refer to (PartitionCheckpoint.LogEpoch).
    private readonly ConcurrentDictionary<int, int> _epochs = new();

    /// <param name="producer">The service's producer, for outputs and dead letters; <paramref name="maxMessageBytes"/> is its <c>message.max.bytes</c>.</param>
    public LocalExecutor(IProducer<byte[]?, byte[]?> producer, int? maxMessageBytes, ISchemaRegistryClient registry, TransformOptions transform,
        LocalExecutorOptions options, string checkpointDirectory, SparkJobTelemetry telemetry, TimeProvider clock, ILogger logger)
    {
        _options = options;
        _transform = new StreamTransform(transform);
        _checkpoints = new CheckpointStore(checkpointDirectory, options.FsyncCheckpoints);
        _output = new OutputWriter(producer, maxMessageBytes, registry);
        _decoder = new ContractDecoder<MarketSnapshot>(registry, clock);
        _telemetry = telemetry;
        _clock = clock;
        _logger = logger;
        _logger.Started(options.ConsumerGroup, checkpointDirectory, string.Join(",", _transform.Intervals.Select(i => i.Name)), transform.AllowedLateness);
    }

    /// <summary>The executor of the job's service, from its configuration and services.</summary>
    public static LocalExecutor Create(IServiceProvider services, LocalExecutorOptions options)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var checkpoints = options.CheckpointDir is { Length: > 0 } dir ? Path.GetFullPath(dir) : DefaultCheckpointDirectory(StateDirectory.Resolve(configuration, ServiceName));
        return new LocalExecutor(services.GetRequiredService<IProducer<byte[]?, byte[]?>>(), KafkaConnection.MaxMessageBytes(configuration),
            services.GetRequiredService<ISchemaRegistryClient>(),
            services.GetRequiredService<IOptions<TransformOptions>>().Value, options, checkpoints, services.GetRequiredService<SparkJobTelemetry>(),
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<LocalExecutor>>());
    }

    /// <summary>Where the checkpoints live unless LocalExecutor:CheckpointDir says otherwise.</summary>
    public static string DefaultCheckpointDirectory(string stateDirectory) => Path.Combine(stateDirectory, "checkpoints");

    /// <summary>Partitions this instance owns right now.</summary>
    public IReadOnlyCollection<int> OwnedPartitions => _states.Keys.Order().ToList();

    public override IReadOnlyList<string> Subscription => Input;

    public override bool Owns(TopicPartition partition) => _states.ContainsKey(partition.Partition.Value);

    /// <summary>
    /// Transforms the batch and checkpoints it. A retry starts again from the checkpoints: the in-memory state may be
    /// ahead of what is durable. An outage (<see cref="Outages"/>: Kafka, the registry, a full disk) is waited out;
    /// after <see cref="BatchStageOptions.PoisonAfterFailures"/> tries in a row that failed for another reason, the
    /// records are taken one at a time instead.
    /// </summary>
    public override IReadOnlyDictionary<TopicPartition, long> Write(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> batch, BatchAttempt attempt, CancellationToken cancellation)
    {
        if (attempt.SuspectsPoison)
        {
            _logger.IsolatingBatch(batch.Count, attempt.Number - 1, attempt.LastError!.Message);
            return IsolatePoison(batch, cancellation);
        }

        return attempt.IsRetry ? RetryFromCheckpoints(batch, cancellation) : ProcessBatch(batch, cancellation);
    }

    public override string Failed(Exception error, int records, BatchAttempt attempt, TimeSpan delay)
    {
        _telemetry.BatchFailures.Add(1);
        _logger.BatchFailed(delay, error.Describe());
        return error.Message;
    }

    public override void Dispose()
    {
        _output.Dispose();
        base.Dispose();
    }

    private Dictionary<TopicPartition, long> ProcessBatch(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> batch, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var byPartition = batch.Where(r => _states.ContainsKey(r.Partition.Value)).GroupBy(r => r.Partition.Value)
            .Select(g => (Partition: g.Key, Records: g.ToList())).ToList();
        var activity = Activity.Current; // the stage's span of this batch: its outputs carry it

        var results = new PartitionResult[byPartition.Count];
        Parallel.For(0, byPartition.Count, new ParallelOptions
        {
            MaxDegreeOfParallelism = _options.Parallelism > 0 ? _options.Parallelism : Environment.ProcessorCount,
            CancellationToken = cancellation,
        }, i => results[i] = ProcessPartition(byPartition[i].Partition, byPartition[i].Records, activity));

        _output.WaitForDeliveries(cancellation);

        var durable = new Dictionary<TopicPartition, long>();
        var checkpointed = 0L;
        var compacted = false;
        foreach (var (partition, records) in byPartition)
        {
            var written = Checkpoint(partition, records[^1].Offset.Value + 1, durable, mayCompact: !compacted);
            checkpointed += written.Bytes;
            compacted |= written.Whole;
        }

        Record(batch.Count, results, checkpointed, Stopwatch.GetElapsedTime(started));
        return durable;
    }

    /// <summary>
    /// Tries a failed batch again: the in-memory state of its partitions goes back to their checkpoints, and only the
    /// records after them are processed. A checkpoint the failed try did write is durable, so its offset is committed too.
    /// </summary>
    private Dictionary<TopicPartition, long> RetryFromCheckpoints(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> batch, CancellationToken cancellation)
    {
        var resumeAt = new Dictionary<TopicPartition, long>();
        foreach (var partition in batch.Select(r => r.TopicPartition).Distinct().Where(Owns))
        {
            var checkpoint = _checkpoints.Load(partition);
            _states[partition.Partition.Value] = checkpoint?.State ?? new PartitionState();
            resumeAt[partition] = ResumeAt(partition, checkpoint);
        }

        var durable = ProcessBatch([.. batch.Where(r => resumeAt.TryGetValue(r.TopicPartition, out var next) && r.Offset.Value >= next)], cancellation);
        foreach (var (partition, next) in resumeAt.Where(r => r.Value > 0))
        {
            durable.TryAdd(partition, next);
        }

        return durable;
    }

    /// <summary>
    /// A batch failed <see cref="BatchStageOptions.PoisonAfterFailures"/> times in a row for a reason other than an
    /// outage (<see cref="Outages"/>). Its records are taken again one at a time from the last checkpoint, each
    /// checkpointed on its own; a record whose processing, delivery or checkpoint fails is dead-lettered
    /// (<c>processing_failed</c>, with the error) and its partition moves on from the state before it.
    /// </summary>
    private Dictionary<TopicPartition, long> IsolatePoison(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> batch, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var results = new List<PartitionResult>();
        var durable = new Dictionary<TopicPartition, long>();
        var checkpointed = 0L;
        foreach (var records in batch.GroupBy(r => r.Partition.Value))
        {
            var partition = new TopicPartition(Topics.Snapshots, records.Key);
            var resumeAt = ResumeAt(partition, _checkpoints.Load(partition));
            foreach (var record in records.Where(r => r.Offset.Value >= resumeAt))
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
                    checkpointed += Checkpoint(records.Key, record.Offset.Value + 1, durable).Bytes;
                    results.Add(result);
                }
                catch (Exception e) when (!Outages.IsOutage(e))
                {
                    _logger.PoisonRecord(record.Partition.Value, record.Offset.Value, e.Message);
                    _states[records.Key] = _checkpoints.Load(partition)?.State ?? new PartitionState();
                    _output.DeadLetter(DeadLetters.FromMessage(Stage, DeadLetterReasons.ProcessingFailed, e.Describe(), record, _clock.GetUtcNow()));
                    _output.WaitForDeliveries(cancellation);
                    checkpointed += Checkpoint(records.Key, record.Offset.Value + 1, durable).Bytes;
                    results.Add(new PartitionResult(0, 0, 0, 0, 0, [DeadLetterReasons.ProcessingFailed]));
                }
            }
        }

        Record(batch.Count, [.. results], checkpointed, Stopwatch.GetElapsedTime(started));
        return durable;
    }

    /// <summary>
    /// Saves a partition's state as covering every record before <paramref name="next"/> and adds that offset to
    /// <paramref name="durable"/>, unless another instance is further ahead: then the partition is let go.
    /// Returns what it wrote; a compaction only when <paramref name="mayCompact"/> (one partition a batch).
    /// </summary>
    private CheckpointWrite Checkpoint(int partition, long next, Dictionary<TopicPartition, long> durable, bool mayCompact = true)
    {
        if (!_states.TryGetValue(partition, out var state))
        {
            return default;
        }

        var checkpoint = new PartitionCheckpoint(next, state, _clock.GetUtcNow(), _owner, _epochs.GetValueOrDefault(partition));
        if (_checkpoints.Save(new TopicPartition(Topics.Snapshots, partition), checkpoint, out var written, mayCompact))
        {
            durable[new TopicPartition(Topics.Snapshots, partition)] = next;
        }
        else
        {
            _logger.Fenced(partition);
            _states.TryRemove(partition, out _);
        }

        return written;
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

    /// <summary>
    /// A partition resumes from its checkpoint (the stage checks it against the log: one beyond the log's end means the
    /// log was replaced, <see cref="LogReplaced"/>).
    /// </summary>
    public override Offset Assigned(IConsumer<byte[]?, byte[]?> consumer, TopicPartition partition)
    {
        var checkpoint = _checkpoints.Load(partition);
        _states[partition.Partition.Value] = checkpoint?.State ?? new PartitionState();
        _epochs[partition.Partition.Value] = checkpoint?.LogEpoch ?? 0;
        _logger.Assigned(partition.Partition.Value, checkpoint is null ? "committed or earliest" : checkpoint.NextOffset.ToString(CultureInfo.InvariantCulture),
            checkpoint is null ? "no checkpoint" : $"checkpoint of {checkpoint.Owner} at {checkpoint.WrittenAt:O}");
        return checkpoint is null ? Offset.Unset : new Offset(checkpoint.NextOffset);
    }

    /// <summary>
    /// The partition's log was replaced: its offsets start again, so its next checkpoint belongs to the next log epoch
    /// (which no older checkpoint fences), while its state carries on: the new log continues the same market.
    /// </summary>
    public override void LogReplaced(TopicPartition partition)
    {
        var epoch = Math.Max(_epochs.GetValueOrDefault(partition.Partition.Value), _checkpoints.Load(partition)?.LogEpoch ?? 0) + 1;
        _epochs[partition.Partition.Value] = epoch;
        _logger.LogReplaced(partition.Partition.Value, epoch);
    }

    /// <summary>The partition's next owner resumes from its checkpoint.</summary>
    public override void Released(TopicPartition partition)
    {
        _states.TryRemove(partition.Partition.Value, out _);
        _epochs.TryRemove(partition.Partition.Value, out _);
        _logger.Revoked(partition.Partition.Value);
    }

    /// <summary>The first offset a checkpoint does not cover, in the partition's current log (0 when it is of an older log).</summary>
    private long ResumeAt(TopicPartition partition, PartitionCheckpoint? checkpoint) =>
        checkpoint is not null && checkpoint.LogEpoch == _epochs.GetValueOrDefault(partition.Partition.Value) ? checkpoint.NextOffset : 0;

    private void Record(int records, PartitionResult[] results, long checkpointed, TimeSpan elapsed)
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
        _telemetry.CheckpointBytes.Add(checkpointed);
        // Counted once the batch is checkpointed: a retried batch sends its dead letters again, but counts them once.
        foreach (var reason in results.SelectMany(r => r.Rejected))
        {
            DeadLetterPublisher.Count(Stage, reason);
        }

        if (late > 0)
        {
            DeadLetterPublisher.Count(Stage, DeadLetterReasons.Late, late);
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var state = _states.Keys.Sum(p => _checkpoints.SnapshotBytes(new TopicPartition(Topics.Snapshots, p)));
            _logger.BatchDone(records, ticks, candles, alerts, late, results.Sum(r => r.Rejected.Count + r.Late), checkpointed, state, elapsed);
        }
    }

    private readonly record struct PartitionResult(int Ticks, int Candles, int Alerts, int Late, int Duplicates, IReadOnlyList<string> Rejected);
}
