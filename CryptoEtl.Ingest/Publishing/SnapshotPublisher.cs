using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Ingest.Telemetry;
using CryptoEtl.Kafka;

namespace CryptoEtl.Ingest.Publishing;

/// <summary>
/// Publishes snapshots to <see cref="Topics.Snapshots"/> with the idempotent producer (key = coin id, Avro value,
/// headers run_id and W3C trace context) and rejected coins to the dead-letter topic over the same connection.
/// </summary>
public sealed class SnapshotPublisher : IDisposable
{
    public const string RunIdHeader = "run_id";

    private readonly IProducer<string, MarketSnapshot> _producer;
    private readonly DeadLetterPublisher _deadLetters;

    public SnapshotPublisher(IProducer<string, MarketSnapshot> producer, ISchemaRegistryClient registry, IConfiguration configuration)
    {
        _producer = producer;
        _deadLetters = new DeadLetterPublisher(_producer, registry, KafkaConnection.MaxMessageBytes(configuration));
    }

    /// <summary>Waits for every delivery report; returns the snapshots Kafka acknowledged (and where) and the errors of the others.</summary>
    public async Task<(List<Delivered> Delivered, List<string> Errors)> PublishAsync(IReadOnlyList<MarketSnapshot> snapshots, string runId, CancellationToken cancellation)
    {
        var outcomes = await Task.WhenAll(snapshots.Select(s => SendAsync(s, runId, cancellation)));
        return ([.. outcomes.Where(o => o.Delivered is not null).Select(o => o.Delivered!.Value)], [.. outcomes.Select(o => o.Error).OfType<string>()]);
    }

    public Task DeadLetterAsync(DeadLetter letter, CancellationToken cancellation) => _deadLetters.PublishAsync(letter, cancellation);

    /// <summary>Delivers what is still queued; the container disposes the producer afterwards.</summary>
    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(30));
        _deadLetters.Dispose();
    }

    private async Task<(Delivered? Delivered, string? Error)> SendAsync(MarketSnapshot snapshot, string runId, CancellationToken cancellation)
    {
        using var activity = KafkaTracing.StartPublish(IngestTelemetry.Source, Topics.Snapshots, snapshot.Id);
        var headers = new Headers { { RunIdHeader, Encoding.UTF8.GetBytes(runId) } };
        KafkaTracing.Inject(activity, headers);
        try
        {
            var report = await _producer.ProduceAsync(Topics.Snapshots, new Message<string, MarketSnapshot> { Key = snapshot.Id, Value = snapshot, Headers = headers }, cancellation);
            activity?.SetTag("messaging.destination.partition.id", report.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return (new Delivered(snapshot, report.Partition.Value, report.Offset.Value), null);
        }
        catch (ProduceException<string, MarketSnapshot> e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Error.Reason);
            return (null, $"{snapshot.Id}: {e.Error.Reason}");
        }
    }
}
