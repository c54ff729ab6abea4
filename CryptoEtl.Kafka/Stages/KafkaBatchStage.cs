using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// The one way a stage consumes Kafka in batches, for the local executor and the loader alike: a consumer-group member
/// reads a batch (<see cref="ConsumerBatches.Collect"/>), hands it to its <see cref="BatchSink"/>, and commits the
/// offsets the sink returns only once the batch is durable. A batch that fails is tried again, with the same records,
/// after an exponential backoff with jitter capped by <see cref="BatchStageOptions.MaxRetryDelay"/> (a Polly retry);
/// meanwhile its partitions are paused, and rebalances are served before each try. Commits that fail (a rebalance in
/// progress) are tried again after the next batch. Records Kafka lost before the stage read them (evicted, or gone with
/// a broker that came back empty) are noticed (<see cref="LogContinuity"/>), counted in <see cref="Status"/>, said in one
/// warning, and a replaced log is read from its start. Runs on one thread: rebalance handlers run inside <c>Consume</c>.
/// </summary>
public sealed partial class KafkaBatchStage
{
    /// <summary>About how long the first retry of a failed batch waits; each next one about twice as long.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan StartCheckTimeout = TimeSpan.FromSeconds(10);

    private readonly BatchSink _sink;
    private readonly BatchStageOptions _options;
    private readonly ILogger _logger;
    private readonly BatchStageMetrics? _metrics;
    private readonly ResiliencePipeline _retries;
    private readonly List<ConsumeResult<byte[]?, byte[]?>> _batch = [];

    // Offsets covered by durable work but not committed yet: a commit fails during a rebalance, and a partition may
    // start at an offset of the sink's own (a checkpoint) that the group has not committed.
    private readonly Dictionary<TopicPartition, long> _uncommitted = [];

    private readonly LogContinuity _continuity = new();

    // Where this member had read each partition up to, kept when the partition goes: after a broker came back empty
    // the group's committed offsets are gone too, and only this says the new log starts below where reading was.
    private readonly Dictionary<TopicPartition, long> _lastRead = [];

    private IConsumer<byte[]?, byte[]?>? _consumer;
    private BatchAttempt _attempt = BatchAttempt.First;

    // Tries of the current batch that failed in a row for a reason other than an outage (Outages).
    private int _suspectFailures;

    /// <param name="metrics">Where batch durations go (none when null); spans go to <see cref="BatchStageMetrics.Source"/> either way.</param>
    public KafkaBatchStage(string name, BatchSink sink, BatchStageOptions options, BatchStageStatus status, ILogger logger, BatchStageMetrics? metrics = null)
    {
        Name = name;
        _sink = sink;
        _options = options;
        _logger = logger;
        _metrics = metrics;
        Status = status;
        // Retries wait on the wall clock, as batches close on it (tests may freeze the stage's TimeProvider).
        _retries = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstRetryDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    Failed(args.Outcome.Exception!, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public string Name { get; }

    public BatchSink Sink => _sink;

    public BatchStageStatus Status { get; }

    /// <summary>Sets the rebalance handlers of the stage's consumer on its builder.</summary>
    public ConsumerBuilder<byte[]?, byte[]?> Attach(ConsumerBuilder<byte[]?, byte[]?> builder) => builder
        .SetPartitionsAssignedHandler((consumer, partitions) => partitions.Select(p => Assigned(consumer, p)).ToList())
        .SetPartitionsRevokedHandler((_, partitions) => Released(partitions.Select(p => p.TopicPartition)))
        .SetPartitionsLostHandler((_, partitions) => Released(partitions.Select(p => p.TopicPartition)));

    /// <summary>Builds a consumer for this stage (with <see cref="Attach"/>'s handlers) and runs it until cancelled.</summary>
    public void Run(ConsumerConfig config, CancellationToken cancellation)
    {
        using var consumer = Attach(new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler(KafkaLogging.To(_logger))).Build();
        Run(consumer, cancellation);
    }

    /// <summary>Consumes until cancelled, then closes the consumer (blocking: run it on its own thread).</summary>
    public void Run(IConsumer<byte[]?, byte[]?> consumer, CancellationToken cancellation)
    {
        _consumer = consumer;
        consumer.Subscribe(_sink.Subscription);
        Status.Health.Running = true;
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                consumer.Collect(_batch, _options.MaxBatchSize, _options.BatchInterval, cancellation, r => _sink.Owns(r.TopicPartition));
                CheckContinuity();
                if (_batch.Count > 0)
                {
                    Process(consumer, cancellation);
                }

                Commit(consumer);
                Observe(consumer);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        finally
        {
            Status.Health.Running = false;
            consumer.Close();
        }
    }

    private void Process(IConsumer<byte[]?, byte[]?> consumer, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var records = _batch.Count;
        _attempt = BatchAttempt.First;
        _suspectFailures = 0;
        var durable = _retries.Execute(token =>
        {
            if (_attempt.IsRetry)
            {
                ServeRebalances(consumer);
            }

            // Each try is a span of its own, current while the sink writes (a sink hands it on to its outputs' headers).
            using var activity = KafkaTracing.StartProcess(BatchStageMetrics.Source, string.Join(",", _sink.Subscription), _options.ConsumerGroup,
                _batch.Take(256).Select(r => KafkaTracing.Extract(r.Message.Headers)), _batch.Count);
            return _sink.Write(_batch, _attempt, token);
        }, cancellation);

        if (_attempt.IsRetry)
        {
            consumer.Resume(consumer.Assignment);
            Recovered(_logger, Name, _attempt.Number);
        }

        foreach (var (partition, next) in durable)
        {
            _uncommitted[partition] = next;
        }

        Status.Health.Succeeded();
        var elapsed = Stopwatch.GetElapsedTime(started);
        _metrics?.BatchDone(elapsed);
        _sink.Completed(records, elapsed);
    }

    /// <summary>
    /// A try failed (<paramref name="failures"/> so far): pause reading, say so, and set up the next try. An outage is
    /// waited out for as long as it lasts; only tries that fail in a row for another reason make the batch suspect.
    /// </summary>
    private void Failed(Exception error, int failures, TimeSpan delay)
    {
        if (failures == 1)
        {
            _consumer!.Pause(_consumer.Assignment);
        }

        var outage = Outages.IsOutage(error);
        _suspectFailures = outage ? 0 : _suspectFailures + 1;
        _attempt = new BatchAttempt(failures + 1, error, _suspectFailures >= _options.PoisonAfterFailures, outage);
        Status.Health.Failed(_sink.Failed(error, _batch.Count, _attempt, delay));
    }

    /// <summary>
    /// Lets a rebalance that waited for this member happen between tries: a revoked partition's records leave the batch
    /// (<see cref="Released"/>); a record of a partition assigned meanwhile (not paused yet) is put back for later.
    /// </summary>
    private static void ServeRebalances(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (consumer.Consume(TimeSpan.Zero) is { } result)
        {
            if (!result.IsPartitionEOF)
            {
                consumer.Pause([result.TopicPartition]);
                consumer.Seek(result.TopicPartitionOffset);
            }
        }
    }

    /// <summary>Commits what is durable; a failure (a rebalance in progress) leaves it for the next time.</summary>
    private void Commit(IConsumer<byte[]?, byte[]?> consumer)
    {
        var offsets = _uncommitted.Where(e => _sink.Owns(e.Key)).Select(e => new TopicPartitionOffset(e.Key, e.Value)).ToList();
        if (offsets.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(offsets);
            foreach (var offset in offsets)
            {
                _uncommitted.Remove(offset.TopicPartition);
            }
        }
        catch (KafkaException e)
        {
            CommitDeferred(_logger, Name, offsets.Count, e.Error.Reason);
        }
    }

    /// <summary>
    /// Where a partition just assigned starts: the sink's own offset (a checkpoint) or the group's committed one,
    /// checked against the log's range now. Below its start, the records between were evicted and reading starts at
    /// the log's start; beyond its end (or, with nothing committed, below where this member had read before), the log
    /// was replaced and is read from its beginning.
    /// </summary>
    private TopicPartitionOffset Assigned(IConsumer<byte[]?, byte[]?> consumer, TopicPartition partition)
    {
        var start = _sink.Assigned(consumer, partition);
        _continuity.Forget(partition);
        try
        {
            var committed = start.IsSpecial ? consumer.Committed([partition], StartCheckTimeout).Single().Offset : start;
            var range = consumer.QueryWatermarkOffsets(partition, StartCheckTimeout);
            var from = committed.IsSpecial ? _lastRead.GetValueOrDefault(partition) : committed.Value;
            var found = LogContinuity.CheckStart(partition, from, range.Low.Value, range.High.Value);
            if (committed.IsSpecial && found?.Kind != LogBreakKind.Replaced)
            {
                found = null; // nothing committed: a new group reads from the start, as it should
            }

            if (found is not null)
            {
                Lost([found]);
                start = found.Kind == LogBreakKind.Replaced ? Offset.Beginning : range.Low;
            }
            else if (!committed.IsSpecial)
            {
                _continuity.Expect(partition, committed.Value);
            }
        }
        catch (KafkaException e)
        {
            StartUnchecked(_logger, Name, partition.Topic, partition.Partition.Value, e.Error.Reason);
        }

        if (!start.IsSpecial)
        {
            _uncommitted[partition] = start.Value;
        }

        return new TopicPartitionOffset(partition, start);
    }

    private void Released(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            // Records of a revoked partition not made durable yet are its next owner's, which reads them again.
            _batch.RemoveAll(r => r.TopicPartition == partition);
            _uncommitted.Remove(partition);
            _continuity.Forget(partition);
            _sink.Released(partition);
        }
    }

    /// <summary>Checks each record of the batch against where its partition should continue, and reports what Kafka lost.</summary>
    private void CheckContinuity()
    {
        List<LogBreak>? breaks = null;
        foreach (var record in _batch)
        {
            if (_continuity.Check(record.TopicPartition, record.Offset.Value) is { } found)
            {
                (breaks ??= []).Add(found);
            }

            _lastRead[record.TopicPartition] = record.Offset.Value + 1;
        }

        if (breaks is not null)
        {
            Lost(breaks);
        }
    }

    /// <summary>Counts and reports records Kafka lost; a partition whose log was replaced forgets the offsets of the old one.</summary>
    private void Lost(IReadOnlyCollection<LogBreak> breaks)
    {
        foreach (var replaced in breaks.Where(b => b.Kind == LogBreakKind.Replaced))
        {
            _uncommitted.Remove(replaced.Partition);
            _sink.LogReplaced(replaced.Partition);
        }

        Status.Found(breaks);
        RecordsLost(_logger, Name, breaks.Sum(b => b.Lost), string.Join("; ", breaks));
    }

    /// <summary>After each read: the lag behind the end of each input topic, and the ends seen (from the consumer's own fetches: no request).</summary>
    private void Observe(IConsumer<byte[]?, byte[]?> consumer)
    {
        foreach (var partition in consumer.Assignment)
        {
            if (consumer.GetWatermarkOffsets(partition).High is { IsSpecial: false } end)
            {
                _continuity.SawEnd(partition, end.Value);
            }
        }

        foreach (var topic in _sink.Subscription)
        {
            Status.LagByTopic[topic] = consumer.OfAssignment(topic);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "The {Stage}'s batch went through after {Attempts} tries; reading resumed")]
    private static partial void Recovered(ILogger logger, string stage, int attempts);

    [LoggerMessage(3, LogLevel.Warning, "Kafka lost {Lost} record(s) before the {Stage} read them: {Breaks}")]
    private static partial void RecordsLost(ILogger logger, string stage, long lost, string breaks);

    [LoggerMessage(4, LogLevel.Warning, "The {Stage} could not check where {Topic} [{Partition}] starts against the log: {Reason}")]
    private static partial void StartUnchecked(ILogger logger, string stage, string topic, int partition, string reason);

    [LoggerMessage(2, LogLevel.Warning, "The {Stage}'s commit of {Partitions} partition offset(s) is deferred to the next batch: {Reason}")]
    private static partial void CommitDeferred(ILogger logger, string stage, int partitions, string reason);
}
