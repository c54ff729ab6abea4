using System.Diagnostics;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Telemetry;
using CryptoEtl.ServiceDefaults.Failures;

namespace CryptoEtl.Processor.Loading;

/// <summary>
/// Loads the job's outputs into the store, as the sink of a <see cref="KafkaBatchStage"/> reading the ticks, candles and
/// alerts topics: a batch is decoded, reduced to one write per document and written in bulk; its offsets are committed
/// only after the store acknowledged it. Undecodable records go to the dead-letter topic and the partition moves on.
/// While the store refuses writes, the stage pauses consumption and tries the same batch again with backoff; nothing is
/// committed, so nothing is lost, even if the process dies meanwhile.
/// </summary>
public sealed class Loader : BatchSink
{
    public const string Stage = "load";
    public static readonly string[] InputTopics = [Topics.Ticks, Topics.Candles, Topics.Alerts];

    private readonly IMarketStore _store;
    private readonly LoaderOptions _options;
    private readonly ProcessorTelemetry _telemetry;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly ContractDecoder<PriceTick> _ticks;
    private readonly ContractDecoder<Candle> _candles;
    private readonly ContractDecoder<MarketAlert> _alerts;

    // The batch being written, decoded once (its bad records dead-lettered once) however many tries its write takes.
    private Decoded? _decoded;
    private bool _writing;
    private WriteSummary? _summary;

    /// <param name="producer">The service's producer, for dead letters; <paramref name="maxMessageBytes"/> is its <c>message.max.bytes</c>.</param>
    public Loader(IProducer<byte[]?, byte[]?> producer, int? maxMessageBytes, ISchemaRegistryClient registry, IMarketStore store, LoaderOptions options,
        ProcessorTelemetry telemetry, TimeProvider clock, ILogger logger)
    {
        _store = store;
        _options = options;
        _telemetry = telemetry;
        _clock = clock;
        _logger = logger;
        _producer = producer;
        _deadLetters = new DeadLetterPublisher(producer, registry, maxMessageBytes);
        _ticks = new ContractDecoder<PriceTick>(registry, clock);
        _candles = new ContractDecoder<Candle>(registry, clock);
        _alerts = new ContractDecoder<MarketAlert>(registry, clock);
    }

    /// <summary>The loader of the Processor service, from its configuration and services.</summary>
    public static Loader Create(IServiceProvider services, LoaderOptions options) => new(
        services.GetRequiredService<IProducer<byte[]?, byte[]?>>(), KafkaConnection.MaxMessageBytes(services.GetRequiredService<IConfiguration>()),
        services.GetRequiredService<ISchemaRegistryClient>(), services.GetRequiredService<IMarketStore>(), options,
        services.GetRequiredService<ProcessorTelemetry>(), services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<Loader>>());

    public override IReadOnlyList<string> Subscription => InputTopics;

    public override async Task PrepareAsync(CancellationToken cancellation)
    {
        await _store.InitializeAsync(cancellation);
        _logger.Started(_options.ConsumerGroup, _store.Description);
    }

    /// <summary>
    /// Writes the batch. While the store is out (<see cref="Outages"/>) the stage waits and tries again, however long
    /// it takes. After <see cref="BatchStageOptions.PoisonAfterFailures"/> refusals in a row for another reason it
    /// writes the records one at a time (<see cref="WriteOneByOne"/>) and dead-letters those the store refuses alone
    /// (<c>store_rejected</c>).
    /// </summary>
    public override IReadOnlyDictionary<TopicPartition, long> Write(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> batch, BatchAttempt attempt, CancellationToken cancellation)
    {
        _writing = false;
        if (!attempt.IsRetry)
        {
            _decoded = null;
        }

        _decoded ??= Decode(batch, cancellation);

        _writing = true;
        _summary = attempt.SuspectsPoison ? WriteOneByOne(_decoded.Records, cancellation) : _store.WriteAsync(_decoded.Batch, cancellation).GetAwaiter().GetResult();
        return NextOffsets(batch);
    }

    public override string Failed(Exception error, int records, BatchAttempt attempt, TimeSpan delay)
    {
        _telemetry.WriteFailures.Add(1);
        _logger.WriteFailed(records, attempt.Number, delay, error.Message);
        return (_writing, attempt.AfterOutage) switch
        {
            (true, true) => $"waiting for the store (outage): {error.Message}",
            (true, false) => $"the store refuses writes: {error.Message}",
            _ => $"the batch cannot be decoded: {error.Message}",
        };
    }

    public override void Completed(int records, TimeSpan elapsed)
    {
        var summary = _summary!;
        foreach (var (collection, count) in summary.Written)
        {
            _telemetry.DocumentsWritten.Add(count, new KeyValuePair<string, object?>("collection", collection));
        }

        foreach (var (collection, count) in summary.Stale)
        {
            _telemetry.StaleSkipped.Add(count, new KeyValuePair<string, object?>("collection", collection));
        }

        _logger.BatchWritten(records, elapsed, string.Join(", ", summary.Written.Select(kv => $"{kv.Key} {kv.Value}")));
    }

    public override void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _deadLetters.Dispose();
        base.Dispose();
    }

    /// <summary>Decodes each record (dead-lettering those that cannot be) and reduces them to one write per document.</summary>
    private Decoded Decode(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> records, CancellationToken cancellation)
    {
        // Each record's own batch (for writing one at a time) is made only when a batch is written so: made for every
        // record, it was much of the loader's garbage.
        var decoded = new List<DecodedRecord>(records.Count);
        foreach (var record in records)
        {
            var problem = record.Topic switch
            {
                Topics.Ticks => Take(_ticks, record, tick => decoded.Add(new(record, Tick: tick))),
                Topics.Candles => Take(_candles, record, candle => decoded.Add(new(record, Candle: candle))),
                _ => Take(_alerts, record, alert => decoded.Add(new(record, Alert: alert))),
            };
            if (problem is { } failed)
            {
                DeadLetter(record, failed, cancellation);
            }
        }

        return new Decoded(decoded, StoreBatch.Reduce(decoded.Select(d => d.Tick).OfType<PriceTick>(), decoded.Select(d => d.Candle).OfType<Candle>(),
            decoded.Select(d => d.Alert).OfType<MarketAlert>()));
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
    }

    /// <summary>
    /// Writes each record alone and dead-letters those the store refuses for what they are, provided the store
    /// demonstrably works: it took other records of the batch, or it answers a ping. An outage (<see cref="Outages"/>:
    /// no space, I/O errors, a lost connection, no primary) ends the pass at once and the batch waits for the store; so
    /// does a batch the store refuses entirely while it does not answer.
    /// </summary>
    private WriteSummary WriteOneByOne(IReadOnlyList<DecodedRecord> records, CancellationToken cancellation)
    {
        var written = new Dictionary<string, long>(StringComparer.Ordinal);
        var stale = new Dictionary<string, long>(StringComparer.Ordinal);
        var refused = new List<(ConsumeResult<byte[]?, byte[]?> Record, Exception Error)>();
        foreach (var decoded in records)
        {
            try
            {
                var summary = _store.WriteAsync(decoded.Alone(), cancellation).GetAwaiter().GetResult();
                Add(written, summary.Written);
                Add(stale, summary.Stale);
            }
            catch (Exception e) when (!Outages.IsOutage(e))
            {
                refused.Add((decoded.Record, e));
            }
        }

        if (refused.Count > 0 && refused.Count == records.Count && !StoreAnswers(cancellation))
        {
            throw new OutageException("The store", $"it refused every record of the batch, one at a time too, and does not answer a ping (first: {refused[0].Error.Message})",
                new AggregateException(refused.Select(r => r.Error)));
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

    private bool StoreAnswers(CancellationToken cancellation)
    {
        try
        {
            _store.PingAsync(cancellation).WaitAsync(TimeSpan.FromSeconds(10), cancellation).GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    private sealed record Decoded(IReadOnlyList<DecodedRecord> Records, StoreBatch Batch);

    /// <summary>A record decoded: a tick, a candle or an alert.</summary>
    private readonly record struct DecodedRecord(ConsumeResult<byte[]?, byte[]?> Record, PriceTick? Tick = null, Candle? Candle = null, MarketAlert? Alert = null)
    {
        /// <summary>The record as a batch of its own, for writing records one at a time.</summary>
        public StoreBatch Alone() => StoreBatch.Reduce(Tick is null ? [] : [Tick], Candle is null ? [] : [Candle], Alert is null ? [] : [Alert]);
    }
}
