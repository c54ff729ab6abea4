using System.Diagnostics;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Telemetry;
using CryptoEtl.Kafka;

namespace CryptoEtl.Processor.Loading;

/// <summary>
/// Loads the job's outputs into the store: a consumer group on the ticks, candles and alerts topics, read in batches
/// (by count and time), decoded, reduced to one write per document, written in bulk, and committed only after the
/// store acknowledged the batch. Undecodable records go to the dead-letter topic and the partition moves on. While the
/// store refuses writes, consumption is paused and the same batch is retried with backoff; nothing is committed, so
/// nothing is lost, even if the process dies meanwhile.
/// </summary>
public sealed class Loader : IDisposable
{
    public const string Stage = "load";
    public static readonly string[] InputTopics = [Topics.Ticks, Topics.Candles, Topics.Alerts];

    private readonly ConsumerConfig _consumerConfig;
    private readonly IMarketStore _store;
    private readonly LoaderOptions _options;
    private readonly LoaderStatus _status;
    private readonly ProcessorTelemetry _telemetry;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly IProducer<byte[], byte[]> _deadLetterProducer;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly ContractDecoder<PriceTick> _ticks;
    private readonly ContractDecoder<Candle> _candles;
    private readonly ContractDecoder<MarketAlert> _alerts;

    public Loader(ConsumerConfig consumerConfig, ProducerConfig producerConfig, ISchemaRegistryClient registry, IMarketStore store,
        LoaderOptions options, LoaderStatus status, ProcessorTelemetry telemetry, TimeProvider clock, ILogger logger)
    {
        _consumerConfig = consumerConfig;
        _store = store;
        _options = options;
        _status = status;
        _telemetry = telemetry;
        _clock = clock;
        _logger = logger;
        _deadLetterProducer = new ProducerBuilder<byte[], byte[]>(producerConfig).SetLogHandler(KafkaLogging.To(logger)).Build();
        _deadLetters = new DeadLetterPublisher(_deadLetterProducer, registry, producerConfig.MessageMaxBytes);
        _ticks = new ContractDecoder<PriceTick>(registry, clock);
        _candles = new ContractDecoder<Candle>(registry, clock);
        _alerts = new ContractDecoder<MarketAlert>(registry, clock);
    }

    /// <summary>Consumes until cancelled (blocking: run it on its own thread).</summary>
    public void Run(CancellationToken cancellation)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(_consumerConfig).SetLogHandler(KafkaLogging.To(_logger)).Build();
        consumer.Subscribe(InputTopics);
        _logger.Started(_consumerConfig.GroupId, _store.Description);
        _status.Health.Running = true;
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var batch = Collect(consumer, cancellation);
                if (batch.Count > 0)
                {
                    Load(consumer, batch, cancellation);
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        finally
        {
            _status.Health.Running = false;
            consumer.Close();
        }
    }

    public void Dispose()
    {
        _deadLetterProducer.Flush(TimeSpan.FromSeconds(10));
        _deadLetters.Dispose();
        _deadLetterProducer.Dispose();
    }

    private List<ConsumeResult<byte[]?, byte[]?>> Collect(IConsumer<byte[]?, byte[]?> consumer, CancellationToken cancellation)
    {
        var batch = new List<ConsumeResult<byte[]?, byte[]?>>();
        consumer.Collect(batch, _options.MaxBatchSize, _options.BatchInterval, cancellation);
        return batch;
    }

    private void Load(IConsumer<byte[]?, byte[]?> consumer, List<ConsumeResult<byte[]?, byte[]?>> records, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = KafkaTracing.StartProcess(ProcessorTelemetry.Source, string.Join(",", InputTopics), _consumerConfig.GroupId,
            records.Take(256).Select(r => KafkaTracing.Extract(r.Message.Headers)), records.Count);

        var decoded = new List<(ConsumeResult<byte[]?, byte[]?> Record, StoreBatch Alone)>();
        foreach (var record in records)
        {
            var problem = record.Topic switch
            {
                Topics.Ticks => Take(_ticks, record, tick => decoded.Add((record, StoreBatch.Reduce([tick], [], [])))),
                Topics.Candles => Take(_candles, record, candle => decoded.Add((record, StoreBatch.Reduce([], [candle], [])))),
                _ => Take(_alerts, record, alert => decoded.Add((record, StoreBatch.Reduce([], [], [alert])))),
            };
            if (problem is { } failed)
            {
                DeadLetter(record, failed, cancellation);
            }
        }

        var batch = StoreBatch.Reduce(decoded.SelectMany(d => d.Alone.Ticks), decoded.SelectMany(d => d.Alone.Candles), decoded.SelectMany(d => d.Alone.Alerts));
        var summary = WriteUntilStored(consumer, batch, decoded, cancellation);

        var offsets = records.GroupBy(r => r.TopicPartition)
            .Where(g => consumer.Assignment.Contains(g.Key)) // a partition revoked meanwhile is its new owner's to commit
            .Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1))
            .ToList();
        if (offsets.Count > 0)
        {
            consumer.Commit(offsets);
        }

        Record(consumer, records.Count, summary, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Decodes one record and hands it on, or returns why it cannot be loaded.</summary>
    private static (string Reason, string? Error)? Take<T>(ContractDecoder<T> decoder, ConsumeResult<byte[]?, byte[]?> record, Action<T> take) where T : IAvroContract<T>
    {
        var decoded = decoder.DecodeAsync(record.Message.Value, record.Topic).GetAwaiter().GetResult();
        if (!decoded.Success)
        {
            return (decoded.Reason!, decoded.Error);
        }

        take(decoded.Value!);
        return null;
    }

    private void DeadLetter(ConsumeResult<byte[]?, byte[]?> record, (string Reason, string? Error) failure, CancellationToken cancellation)
    {
        _logger.DeadLettered(record.Topic, record.Partition.Value, record.Offset.Value, failure.Reason);
        _deadLetters.PublishAsync(DeadLetters.FromMessage(Stage, failure.Reason, failure.Error, record, _clock.GetUtcNow()), cancellation).GetAwaiter().GetResult();
        _telemetry.DeadLetters.Add(1, new KeyValuePair<string, object?>("reason", failure.Reason));
    }

    /// <summary>
    /// Writes the batch, pausing consumption and retrying with backoff for as long as the store refuses it. After
    /// <see cref="LoaderOptions.PoisonAfterFailures"/> refusals it writes the records one at a time: if the store takes
    /// some, or refuses each for what it is, those records are the problem, not the store, and they are dead-lettered
    /// (<c>store_rejected</c>); if it takes none and the errors may pass, the store is down, and the batch waits for it.
    /// </summary>
    private WriteSummary WriteUntilStored(IConsumer<byte[]?, byte[]?> consumer, StoreBatch batch,
        IReadOnlyList<(ConsumeResult<byte[]?, byte[]?> Record, StoreBatch Alone)> records, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var summary = attempt > _options.PoisonAfterFailures ? WriteOneByOne(records, cancellation) : _store.WriteAsync(batch, cancellation).GetAwaiter().GetResult();
                if (attempt > 1)
                {
                    consumer.Resume(consumer.Assignment);
                    _logger.StoreRecovered(attempt);
                }

                return summary;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                if (attempt == 1)
                {
                    consumer.Pause(consumer.Assignment);
                }

                var delay = TimeSpan.FromMilliseconds(Math.Min(_options.MaxRetryDelay.TotalMilliseconds, 200 * Math.Pow(2, Math.Min(attempt, 12))));
                _status.Health.Failed($"the store refuses writes: {e.Message}");
                _telemetry.WriteFailures.Add(1);
                _logger.WriteFailed(batch.Count, attempt, delay, e.Message);
                WaitPolling(consumer, delay, cancellation);
            }
        }
    }

    /// <summary>
    /// Writes each record alone and dead-letters those the store refuses, unless it refuses all of them and some for a
    /// reason that may pass (a timeout, a lost connection: <see cref="TransientFailures"/>); then the store is down and it throws.
    /// </summary>
    private WriteSummary WriteOneByOne(IReadOnlyList<(ConsumeResult<byte[]?, byte[]?> Record, StoreBatch Alone)> records, CancellationToken cancellation)
    {
        var written = new Dictionary<string, long>(StringComparer.Ordinal);
        var stale = new Dictionary<string, long>(StringComparer.Ordinal);
        var refused = new List<(ConsumeResult<byte[]?, byte[]?> Record, Exception Error)>();
        foreach (var (record, alone) in records)
        {
            try
            {
                var summary = _store.WriteAsync(alone, cancellation).GetAwaiter().GetResult();
                Add(written, summary.Written);
                Add(stale, summary.Stale);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                refused.Add((record, e));
            }
        }

        if (refused.Count > 0 && refused.Count == records.Count && refused.Any(r => TransientFailures.IsTransient(r.Error)))
        {
            throw new AggregateException("The store refused every record of the batch, one at a time too.", refused.Select(r => r.Error));
        }

        foreach (var (record, error) in refused)
        {
            DeadLetter(record, (DeadLetterReasons.StoreRejected, error.Describe()), cancellation);
        }

        return new WriteSummary(written, stale);

        static void Add(Dictionary<string, long> into, IReadOnlyDictionary<string, long> counts)
        {
            foreach (var (collection, count) in counts)
            {
                into[collection] = into.GetValueOrDefault(collection) + count;
            }
        }
    }

    /// <summary>Waits while still polling (paused partitions return nothing) so the group does not drop this member.</summary>
    private static void WaitPolling(IConsumer<byte[]?, byte[]?> consumer, TimeSpan delay, CancellationToken cancellation)
    {
        var until = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            cancellation.ThrowIfCancellationRequested();
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } unexpected)
            {
                // A partition assigned during the pause is not paused yet: pause it and read its record again later.
                consumer.Pause([unexpected.TopicPartition]);
                consumer.Seek(unexpected.TopicPartitionOffset);
            }
        }
    }

    private void Record(IConsumer<byte[]?, byte[]?> consumer, int records, WriteSummary summary, TimeSpan elapsed)
    {
        foreach (var (collection, count) in summary.Written)
        {
            _telemetry.DocumentsWritten.Add(count, new KeyValuePair<string, object?>("collection", collection));
        }

        foreach (var (collection, count) in summary.Stale)
        {
            _telemetry.StaleSkipped.Add(count, new KeyValuePair<string, object?>("collection", collection));
        }

        _telemetry.BatchDuration.Record(elapsed.TotalSeconds);
        foreach (var topic in InputTopics)
        {
            _status.LagByTopic[topic] = consumer.OfAssignment(topic);
        }

        _status.Health.Succeeded();
        _logger.BatchWritten(records, elapsed, string.Join(", ", summary.Written.Select(kv => $"{kv.Key} {kv.Value}")));
    }
}
