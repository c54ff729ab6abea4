using System.Diagnostics.Metrics;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Kafka;

/// <summary>
/// The one writer of dead letters: to <see cref="Topics.DeadLetter"/> through an existing producer's connection, cut to
/// fit its message size (<see cref="DeadLetters.Fit"/>), counted in metric <c>cryptoetl.deadletters</c> (by stage and
/// reason). <see cref="PublishAsync"/> waits for Kafka's acknowledgement; <see cref="Produce"/> hands the record to the
/// producer for a stage that settles its whole batch at once (and counts with <see cref="Count"/> once it did).
/// </summary>
public sealed class DeadLetterPublisher : IDisposable
{
    public const string MeterName = "CryptoEtl.Pipeline";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("cryptoetl.deadletters", "{record}", "Records sent to the dead-letter topic, by stage and reason.");

    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly ContractSerializer<DeadLetter> _serializer;
    private readonly int _maxMessageBytes;

    /// <param name="producer">A producer whose connection is shared (Confluent's dependent producer); it must outlive this one.</param>
    /// <param name="maxMessageBytes">That producer's <c>message.max.bytes</c> (librdkafka's default when null).</param>
    public DeadLetterPublisher(IClient producer, ISchemaRegistryClient registry, int? maxMessageBytes = null)
    {
        _producer = new DependentProducerBuilder<byte[]?, byte[]?>(producer.Handle).Build();
        _serializer = new ContractSerializer<DeadLetter>(registry);
        _maxMessageBytes = maxMessageBytes ?? DeadLetters.DefaultMaxMessageBytes;
    }

    /// <summary>Sends the dead letter and waits until Kafka acknowledged it.</summary>
    public async Task PublishAsync(DeadLetter letter, CancellationToken cancellation)
    {
        letter = DeadLetters.Fit(letter, _maxMessageBytes);
        var value = await _serializer.SerializeAsync(letter, new SerializationContext(MessageComponentType.Value, Topics.DeadLetter));
        await _producer.ProduceAsync(Topics.DeadLetter, new Message<byte[]?, byte[]?> { Key = letter.Key, Value = value }, cancellation);
        Count(letter.Stage, letter.Reason);
    }

    /// <summary>
    /// Hands the dead letter to the shared producer without waiting (waiting while its local queue is full); the caller
    /// settles it with the rest of its batch (a flush) and counts it with <see cref="Count"/> once that succeeded.
    /// </summary>
    public void Produce(DeadLetter letter, Action<DeliveryReport<byte[]?, byte[]?>> onDelivery)
    {
        letter = DeadLetters.Fit(letter, _maxMessageBytes);
        // The schema id is looked up once; after that this is pure encoding.
        var value = _serializer.Encode(letter, _serializer.SchemaIdAsync(Topics.DeadLetter).GetAwaiter().GetResult());
        _producer.ProduceWhenThereIsRoom(Topics.DeadLetter, new Message<byte[]?, byte[]?> { Key = letter.Key, Value = value }, onDelivery);
    }

    /// <summary>Counts dead letters Kafka acknowledged.</summary>
    public static void Count(string stage, string reason, long records = 1) =>
        Published.Add(records, new KeyValuePair<string, object?>("stage", stage), new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _producer.Dispose();
}
