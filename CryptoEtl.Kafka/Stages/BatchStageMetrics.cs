using System.Diagnostics.Metrics;

namespace CryptoEtl.Kafka.Stages;

/// <summary>The metrics every batch stage has, observed from its <see cref="BatchStageStatus"/>.</summary>
public sealed class BatchStageMetrics : IDisposable
{
    public const string MeterName = "CryptoEtl.Kafka.Stages";

    private readonly Meter _meter;

    public BatchStageMetrics(IMeterFactory meters, string stage, BatchStageStatus status)
    {
        _meter = meters.Create(MeterName);
        _meter.CreateObservableCounter("cryptoetl.kafka.records.lost", () => status.Lost.Select(kv => new Measurement<long>(kv.Value,
                new KeyValuePair<string, object?>("cryptoetl.stage", stage),
                new KeyValuePair<string, object?>("messaging.destination.name", kv.Key.Topic),
                new KeyValuePair<string, object?>("cryptoetl.loss", kv.Key.Kind == LogBreakKind.Evicted ? "evicted" : "log_replaced"))),
            "{record}", "Records Kafka acknowledged that the stage never read: evicted by the broker, or gone with a replaced log.");
    }

    public void Dispose() => _meter.Dispose();
}
