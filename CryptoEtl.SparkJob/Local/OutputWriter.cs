using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka;

namespace CryptoEtl.SparkJob.Local;

/// <summary>
/// Writes the job's outputs with the service's idempotent producer (it stays the service's: this flushes it, never disposes it): values are encoded (Confluent Avro) on the calling thread, so
/// partitions encode in parallel, and produced as bytes. <see cref="WaitForDeliveries"/> settles a batch.
/// </summary>
public sealed class OutputWriter : IDisposable
{
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly ContractSerializer<PriceTick> _ticks;
    private readonly ContractSerializer<Candle> _candles;
    private readonly ContractSerializer<MarketAlert> _alerts;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly Action<DeliveryReport<byte[]?, byte[]?>> _onDelivery;
    private long _failed;
    private Error? _firstError;

    /// <param name="maxMessageBytes">The producer's <c>message.max.bytes</c> (librdkafka's default when null), which dead letters are cut to.</param>
    public OutputWriter(IProducer<byte[]?, byte[]?> producer, int? maxMessageBytes, ISchemaRegistryClient registry)
    {
        _producer = producer;
        _ticks = new ContractSerializer<PriceTick>(registry);
        _candles = new ContractSerializer<Candle>(registry);
        _alerts = new ContractSerializer<MarketAlert>(registry);
        _deadLetters = new DeadLetterPublisher(producer, registry, maxMessageBytes);
        _onDelivery = report =>
        {
            if (report.Error.IsError && Interlocked.Increment(ref _failed) == 1)
            {
                _firstError = new Error(report.Error.Code, $"{report.Topic}: {report.Error.Reason}");
            }
        };
    }

    public void Tick(PriceTick tick, Activity? trace) => Send(Topics.Ticks, tick.CoinId, _ticks, tick, trace);

    public void Candle(Candle candle, Activity? trace) => Send(Topics.Candles, candle.CoinId, _candles, candle, trace);

    public void Alert(MarketAlert alert, Activity? trace) => Send(Topics.Alerts, alert.CoinId, _alerts, alert, trace);

    /// <summary>Sends a dead letter with the batch (counted by the caller once the batch is settled).</summary>
    public void DeadLetter(DeadLetter letter) => _deadLetters.Produce(letter, _onDelivery);

    /// <summary>Blocks until every record produced so far is acknowledged; throws if any was not, with the first one's error code.</summary>
    public void WaitForDeliveries(CancellationToken cancellation)
    {
        _producer.Flush(cancellation);
        var failed = Interlocked.Exchange(ref _failed, 0);
        if (failed > 0)
        {
            var first = _firstError!;
            throw new KafkaException(new Error(first.Code, $"{failed} output record(s) were not acknowledged (first: {first.Reason})"));
        }
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(30));
        _deadLetters.Dispose();
    }

    private void Send<T>(string topic, string key, ContractSerializer<T> serializer, T value, Activity? trace) where T : IAvroContract<T>
    {
        var message = new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = Encode(serializer, value, topic) };
        // Headers only with a trace to carry: Confluent.Kafka gives a message with a header list, even an empty one, a
        // native list to allocate, copy and free (seen in a profile of bench/ transform).
        if (trace is not null)
        {
            message.Headers = [];
            KafkaTracing.Inject(trace, message.Headers); // the batch's span: read from the partitions' threads, never changed meanwhile
        }

        _producer.ProduceWhenThereIsRoom(topic, message, _onDelivery);
    }

    private static byte[] Encode<T>(ContractSerializer<T> serializer, T value, string topic) where T : IAvroContract<T> =>
        // The schema id is looked up once per topic; after that this is pure encoding.
        serializer.Encode(value, serializer.SchemaIdAsync(topic).GetAwaiter().GetResult());
}
