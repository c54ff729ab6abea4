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
/// progress) are tried again after the next batch. Runs on one thread: rebalance handlers run inside <c>Consume</c>.
/// </summary>
public sealed partial class KafkaBatchStage
{
    /// <summary>About how long the first retry of a failed batch waits; each next one about twice as long.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly BatchSink _sink;
    private readonly BatchStageOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _retries;
    private readonly List<ConsumeResult<byte[]?, byte[]?>> _batch = [];

    // Offsets covered by durable work but not committed yet: a commit fails during a rebalance, and a partition may
    // start at an offset of the sink's own (a checkpoint) that the group has not committed.
    private readonly Dictionary<TopicPartition, long> _uncommitted = [];

    private IConsumer<byte[]?, byte[]?>? _consumer;
    private BatchAttempt _attempt = BatchAttempt.First;

    public KafkaBatchStage(string name, BatchSink sink, BatchStageOptions options, BatchStageStatus status, ILogger logger)
    {
        Name = name;
        _sink = sink;
        _options = options;
        _logger = logger;
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
                if (_batch.Count > 0)
                {
                    Process(consumer, cancellation);
                }

                Commit(consumer);
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
        var durable = _retries.Execute(token =>
        {
            if (_attempt.IsRetry)
            {
                ServeRebalances(consumer);
            }

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

        foreach (var topic in _sink.Subscription)
        {
            Status.LagByTopic[topic] = consumer.OfAssignment(topic);
        }

        Status.Health.Succeeded();
        _sink.Completed(records, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>A try failed (<paramref name="failures"/> so far): pause reading, say so, and set up the next try.</summary>
    private void Failed(Exception error, int failures, TimeSpan delay)
    {
        if (failures == 1)
        {
            _consumer!.Pause(_consumer.Assignment);
        }

        _attempt = new BatchAttempt(failures + 1, error, failures >= _options.PoisonAfterFailures);
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

    private TopicPartitionOffset Assigned(IConsumer<byte[]?, byte[]?> consumer, TopicPartition partition)
    {
        var start = _sink.Assigned(consumer, partition);
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
            _sink.Released(partition);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "The {Stage}'s batch went through after {Attempts} tries; reading resumed")]
    private static partial void Recovered(ILogger logger, string stage, int attempts);

    [LoggerMessage(2, LogLevel.Warning, "The {Stage}'s commit of {Partitions} partition offset(s) is deferred to the next batch: {Reason}")]
    private static partial void CommitDeferred(ILogger logger, string stage, int partitions, string reason);
}
