using System.Diagnostics.Metrics;

namespace CryptoEtl.SparkJob.Telemetry;

/// <summary>The streaming job's metrics (collected by ServiceDefaults as CryptoEtl.*).</summary>
public sealed class SparkJobTelemetry : IDisposable
{
    public const string Name = "CryptoEtl.SparkJob";

    private readonly Meter _meter;

    public SparkJobTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        RecordsIn = _meter.CreateCounter<long>("cryptoetl.sparkjob.records.in", "{record}", "Snapshots read.");
        RecordsOut = _meter.CreateCounter<long>("cryptoetl.sparkjob.records.out", "{record}", "Records written, by output topic.");
        Late = _meter.CreateCounter<long>("cryptoetl.sparkjob.late", "{record}", "Ticks behind the watermark (dead-lettered as late).");
        Duplicates = _meter.CreateCounter<long>("cryptoetl.sparkjob.duplicates", "{record}", "Snapshots dropped as duplicates of (coin, last_updated).");
        BatchFailures = _meter.CreateCounter<long>("cryptoetl.sparkjob.batch.failures", "{batch}", "Batches that failed and were retried from the checkpoint.");
        CheckpointBytes = _meter.CreateCounter<long>("cryptoetl.sparkjob.checkpoint.bytes", "By", "Bytes written to checkpoints: the changes of each batch, and now and then the whole state.");
    }

    public Counter<long> RecordsIn { get; }

    public Counter<long> RecordsOut { get; }

    public Counter<long> Late { get; }

    public Counter<long> Duplicates { get; }

    public Counter<long> BatchFailures { get; }

    public Counter<long> CheckpointBytes { get; }

    public void Dispose() => _meter.Dispose();
}
