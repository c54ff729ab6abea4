using System.Diagnostics.Metrics;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts.Serialization;

namespace CryptoEtl.Contracts.Pipeline;

/// <summary>
/// Writes dead letters to <see cref="Topics.DeadLetter"/> through an existing producer's connection, cut to fit its
/// message size (<see cref="DeadLetters.Fit"/>), and counts them (metric <c>cryptoetl.deadletters</c>, tagged with stage
/// and reason).
/// </summary>
public sealed class DeadLetterPublisher : IDisposable
{
    public const string MeterName = "CryptoEtl.Pipeline";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("cryptoetl.deadletters", "{record}", "Records sent to the dead-letter topic.");

    private readonly IProducer<byte[]?, DeadLetter> _producer;
    private readonly int _maxMessageBytes;

    /// <param name="producer">A producer whose connection is shared (Confluent's dependent producer); it must outlive this one.</param>
    /// <param name="maxMessageBytes">That producer's <c>message.max.bytes</c>.</param>
    public DeadLetterPublisher(IClient producer, ISchemaRegistryClient registry, int? maxMessageBytes = null)
    {
        _producer = new DependentProducerBuilder<byte[]?, DeadLetter>(producer.Handle)
            .SetValueSerializer(new ContractSerializer<DeadLetter>(registry))
            .Build();
        _maxMessageBytes = maxMessageBytes ?? DeadLetters.DefaultMaxMessageBytes;
    }

    public async Task PublishAsync(DeadLetter letter, CancellationToken cancellation)
    {
        letter = DeadLetters.Fit(letter, _maxMessageBytes);
        await _producer.ProduceAsync(Topics.DeadLetter, new Message<byte[]?, DeadLetter> { Key = letter.Key, Value = letter }, cancellation);
        Published.Add(1, new KeyValuePair<string, object?>("stage", letter.Stage), new KeyValuePair<string, object?>("reason", letter.Reason));
    }

    public void Dispose() => _producer.Dispose();
}
