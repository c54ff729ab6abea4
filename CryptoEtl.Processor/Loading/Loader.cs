using System.Diagnostics;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Telemetry;
using CryptoEtl.ServiceDefaults.Kafka;

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
        _deadLetters = new DeadLetterPublisher(_deadLetterProducer, registry);
        _ticks = new ContractDecoder<PriceTick>(registry);
        _candles = new ContractDecoder<Candle>(registry);
        _alerts = new ContractDecoder<MarketAlert>(registry);
    }

    /// <summary>Consumes until cancelled (blocking: run it on its own thread).</summary>
    public void Run(CancellationToken cancellation)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(_consumerConfig).SetLogHandler(KafkaLogging.To(_logger)).Build();
        consumer.Subscribe(InputTopics);
        _logger.Started(_consumerConfig.GroupId, _store.Description);
        _status.Running = true;
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
            _status.Running = false;
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
        var deadline = _clock.GetUtcNow() + _options.BatchInterval;
        while (batch.Count < _options.MaxBatchSize && !cancellation.IsCancellationRequested)
        {
            var remaining = deadline - _clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero && batch.Count > 0)
            {
                break;
            }

            var result = consumer.Consume(batch.Count == 0 ? _options.BatchInterval : remaining);
            if (result is null)
            {
                if (batch.Count > 0 || remaining <= TimeSpan.Zero)
                {
                    break;
                }

                continue;
            }

            if (!result.IsPartitionEOF)
            {
                batch.Add(result);
            }
        }

        return batch;
    }

    private void Load(IConsumer<byte[]?, byte[]?> consumer, List<ConsumeResult<byte[]?, byte[]?>> records, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = KafkaTracing.StartProcess(ProcessorTelemetry.Source, string.Join(",", InputTopics), _consumerConfig.GroupId,
            records.Take(256).Select(r => KafkaTracing.Extract(r.Message.Headers)), records.Count);

        var ticks = new List<PriceTick>();
        var candles = new List<Candle>();
        var alerts = new List<MarketAlert>();
        foreach (var record in records)
        {
            var problem = record.Topic switch
            {
                Topics.Ticks => Take(_ticks, record, ticks),
                Topics.Candles => Take(_candles, record, candles),
                _ => Take(_alerts, record, alerts),
            };
            if (problem is { } failed)
            {
                DeadLetter(record, failed, cancellation);
            }
        }

        var batch = StoreBatch.Reduce(ticks, candles, alerts);
        var summary = WriteUntilStored(consumer, batch, cancellation);

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

    /// <summary>Decodes one record into <paramref name="into"/>, or returns why it cannot be loaded.</summary>
    private static (string Reason, string? Error)? Take<T>(ContractDecoder<T> decoder, ConsumeResult<byte[]?, byte[]?> record, List<T> into) where T : IAvroContract<T>
    {
        var decoded = decoder.DecodeAsync(record.Message.Value, record.Topic).GetAwaiter().GetResult();
        if (!decoded.Success)
        {
            return (decoded.Reason!, decoded.Error);
        }

        into.Add(decoded.Value!);
        return null;
    }

    private void DeadLetter(ConsumeResult<byte[]?, byte[]?> record, (string Reason, string? Error) failure, CancellationToken cancellation)
    {
        _logger.DeadLettered(record.Topic, record.Partition.Value, record.Offset.Value, failure.Reason);
        _deadLetters.PublishAsync(DeadLetters.FromMessage(Stage, failure.Reason, failure.Error, record, _clock.GetUtcNow()), cancellation).GetAwaiter().GetResult();
        _telemetry.DeadLetters.Add(1, new KeyValuePair<string, object?>("reason", failure.Reason));
    }

    /// <summary>Writes the batch, pausing consumption and retrying with backoff for as long as the store refuses it.</summary>
    private WriteSummary WriteUntilStored(IConsumer<byte[]?, byte[]?> consumer, StoreBatch batch, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var summary = _store.WriteAsync(batch, cancellation).GetAwaiter().GetResult();
                if (attempt > 1)
                {
                    consumer.Resume(consumer.Assignment);
                    _status.StoreError = null;
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
                _status.StoreError = e.Message;
                _telemetry.WriteFailures.Add(1);
                _logger.WriteFailed(batch.Count, attempt, delay, e.Message);
                WaitPolling(consumer, delay, cancellation);
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
            _status.LagByTopic[topic] = consumer.Assignment.Where(p => p.Topic == topic).Sum(p =>
            {
                var position = consumer.Position(p);
                var high = consumer.GetWatermarkOffsets(p).High;
                return position.IsSpecial || high.IsSpecial ? 0 : Math.Max(0, high.Value - position.Value);
            });
        }

        _status.LastBatchAt = _clock.GetUtcNow();
        _logger.BatchWritten(records, elapsed, string.Join(", ", summary.Written.Select(kv => $"{kv.Key} {kv.Value}")));
    }
}
