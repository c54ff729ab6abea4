using System.Diagnostics;
using System.Diagnostics.Metrics;
using CryptoEtl.Kafka.Stages;

namespace CryptoEtl.Processor.Telemetry;

/// <summary>The Processor's spans and metrics (collected by ServiceDefaults as CryptoEtl.*).</summary>
public sealed class ProcessorTelemetry : IDisposable
{
    public const string Name = "CryptoEtl.Processor";

    private readonly Meter _meter;

    public ProcessorTelemetry(IMeterFactory meters, BatchStageStatus status)
    {
        _meter = meters.Create(Name);
        DocumentsWritten = _meter.CreateCounter<long>("cryptoetl.processor.documents.written", "{document}", "Documents written, by collection.");
        StaleSkipped = _meter.CreateCounter<long>("cryptoetl.processor.documents.stale", "{document}", "Updates skipped because the store already had a newer version, by collection.");
        BatchDuration = _meter.CreateHistogram<double>("cryptoetl.processor.batch.duration", "s", "From a batch's first record to its commit.");
        DeadLetters = _meter.CreateCounter<long>("cryptoetl.processor.deadletters", "{record}", "Records sent to the dead-letter topic, by reason.");
        WriteFailures = _meter.CreateCounter<long>("cryptoetl.processor.write.failures", "{attempt}", "Batch writes the store refused (retried).");
        _meter.CreateObservableGauge("cryptoetl.processor.lag", () => status.LagByTopic.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("topic", kv.Key))),
            "{record}", "Records behind the end of each input topic.");
    }

    public static ActivitySource Source { get; } = new(Name);

    public Counter<long> DocumentsWritten { get; }

    public Counter<long> StaleSkipped { get; }

    public Histogram<double> BatchDuration { get; }

    public Counter<long> DeadLetters { get; }

    public Counter<long> WriteFailures { get; }

    public void Dispose() => _meter.Dispose();
}
