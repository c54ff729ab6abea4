using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// What every batch stage reports, whatever its sink: the span of each try of a batch (<see cref="Source"/>), how long
/// batches take, how far each input topic lags behind its end, and the records Kafka lost before the stage read them.
/// Tagged <c>cryptoetl.stage</c> with the stage's name.
/// </summary>
public sealed class BatchStageMetrics : IDisposable
{
    public const string Name = "CryptoEtl.Kafka.Stages";

    private readonly Meter _meter;
    private readonly Histogram<double> _batchDuration;
    private readonly KeyValuePair<string, object?> _stage;

    public BatchStageMetrics(IMeterFactory meters, string stage, BatchStageStatus status)
    {
        _meter = meters.Create(Name);
        _stage = new KeyValuePair<string, object?>("cryptoetl.stage", stage);
        _batchDuration = _meter.CreateHistogram<double>("cryptoetl.kafka.stage.batch.duration", "s", "From the start of a batch's first try to the moment it is durable.");
        _meter.CreateObservableGauge("cryptoetl.kafka.stage.lag", () => status.LagByTopic.Select(kv => new Measurement<long>(kv.Value,
                _stage, new KeyValuePair<string, object?>("messaging.destination.name", kv.Key))),
            "{record}", "Records behind the end of each input topic (the stage's own position).");
        _meter.CreateObservableCounter("cryptoetl.kafka.records.lost", () => status.Lost.Select(kv => new Measurement<long>(kv.Value,
                _stage,
                new KeyValuePair<string, object?>("messaging.destination.name", kv.Key.Topic),
                new KeyValuePair<string, object?>("cryptoetl.loss", kv.Key.Kind == LogBreakKind.Evicted ? "evicted" : "log_replaced"))),
            "{record}", "Records Kafka acknowledged that the stage never read: evicted by the broker, or gone with a replaced log.");
    }

    /// <summary>The spans of the stages' batches (<c>process {topics}</c>, linked to the producers' traces).</summary>
    public static ActivitySource Source { get; } = new(Name);

    public void BatchDone(TimeSpan elapsed) => _batchDuration.Record(elapsed.TotalSeconds, _stage);

    public void Dispose() => _meter.Dispose();
}
