using System.Diagnostics.Metrics;

namespace CryptoEtl.Processor.Telemetry;

/// <summary>The Processor's metrics (collected by ServiceDefaults as CryptoEtl.*).</summary>
public sealed class ProcessorTelemetry : IDisposable
{
    public const string Name = "CryptoEtl.Processor";

    private readonly Meter _meter;

    public ProcessorTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        DocumentsWritten = _meter.CreateCounter<long>("cryptoetl.processor.documents.written", "{document}", "Documents written, by collection.");
        StaleSkipped = _meter.CreateCounter<long>("cryptoetl.processor.documents.stale", "{document}", "Updates skipped because the store already had a newer version, by collection.");
        WriteFailures = _meter.CreateCounter<long>("cryptoetl.processor.write.failures", "{attempt}", "Batch writes the store refused (retried).");
    }

    public Counter<long> DocumentsWritten { get; }

    public Counter<long> StaleSkipped { get; }

    public Counter<long> WriteFailures { get; }

    public void Dispose() => _meter.Dispose();
}
