using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;

namespace CryptoEtl.Kafka;

/// <summary>
/// librdkafka's statistics (every <c>statistics.interval.ms</c>) as OpenTelemetry metrics, with the names
/// Aspire.Confluent.Kafka gives them: requests, bytes and messages sent and received, and what waits in the client's
/// queue, per client (<c>messaging.client_id</c>). The statistics are running totals, so the counters are observed as such.
/// </summary>
public sealed class KafkaClientMetrics : IDisposable
{
    public const string MeterName = "CryptoEtl.Kafka";

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<string, Statistics> _latest = new(StringComparer.Ordinal);

    public KafkaClientMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        Counter("messaging.kafka.network.tx", "{request}", "Requests sent to Kafka brokers.", s => s.Tx);
        Counter("messaging.kafka.network.transmitted", "By", "Bytes sent to Kafka brokers.", s => s.TxBytes);
        Counter("messaging.publish.messages", "{message}", "Messages sent to Kafka brokers.", s => s.TxMessages);
        Counter("messaging.kafka.network.rx", "{response}", "Responses received from Kafka brokers.", s => s.Rx);
        Counter("messaging.kafka.network.received", "By", "Bytes received from Kafka brokers.", s => s.RxBytes);
        Counter("messaging.receive.messages", "{message}", "Messages consumed from Kafka brokers.", s => s.RxMessages);
        _meter.CreateObservableGauge("messaging.kafka.producer.queue.message_count", () => Observe(s => s.Type == "producer" ? s.QueuedMessages : null),
            "{message}", "Messages waiting in the producer's queue to be sent or acknowledged.");
        _meter.CreateObservableGauge("messaging.kafka.producer.queue.size", () => Observe(s => s.Type == "producer" ? s.QueuedBytes : null),
            "By", "Bytes waiting in the producer's queue.");
    }

    /// <summary>Takes one statistics document of a client (librdkafka's JSON); one that cannot be read is ignored.</summary>
    public void Record(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var statistics = new Statistics(root.GetProperty("client_id").GetString() ?? "", root.GetProperty("type").GetString() ?? "",
                Read(root, "tx"), Read(root, "tx_bytes"), Read(root, "txmsgs"), Read(root, "rx"), Read(root, "rx_bytes"), Read(root, "rxmsgs"),
                Read(root, "msg_cnt"), Read(root, "msg_size"));
            _latest[root.GetProperty("name").GetString() ?? statistics.ClientId] = statistics;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
        }
    }

    public void Dispose() => _meter.Dispose();

    private static long Read(JsonElement root, string name) => root.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) ? number : 0;

    private void Counter(string name, string unit, string description, Func<Statistics, long> value) =>
        _meter.CreateObservableCounter(name, () => Observe(s => value(s)), unit, description);

    private IEnumerable<Measurement<long>> Observe(Func<Statistics, long?> value) =>
        _latest.Values.Select(s => (s.ClientId, Value: value(s))).Where(s => s.Value is not null)
            .Select(s => new Measurement<long>(s.Value!.Value, new KeyValuePair<string, object?>("messaging.system", "kafka"), new KeyValuePair<string, object?>("messaging.client_id", s.ClientId)));

    private sealed record Statistics(string ClientId, string Type, long Tx, long TxBytes, long TxMessages, long Rx, long RxBytes, long RxMessages,
        long QueuedMessages, long QueuedBytes);
}
