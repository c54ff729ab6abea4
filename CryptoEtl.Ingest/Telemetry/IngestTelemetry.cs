using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CryptoEtl.Ingest.Telemetry;

/// <summary>The Ingest service's spans and metrics (collected by ServiceDefaults as CryptoEtl.*).</summary>
public sealed class IngestTelemetry : IDisposable
{
    public const string Name = "CryptoEtl.Ingest";

    private readonly Meter _meter;

    public IngestTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        CoinsFetched = _meter.CreateCounter<long>("cryptoetl.ingest.coins.fetched", "{coin}", "Coins received from CoinGecko, valid or not.");
        CoinsPublished = _meter.CreateCounter<long>("cryptoetl.ingest.coins.published", "{coin}", "Snapshots acknowledged by Kafka.");
        Duplicates = _meter.CreateCounter<long>("cryptoetl.ingest.coins.duplicates", "{coin}", "Snapshots skipped because their (id, last_updated) was already published.");
        Rejected = _meter.CreateCounter<long>("cryptoetl.ingest.coins.rejected", "{coin}", "Coins that failed validation and went to the dead-letter topic.");
        ApiDuration = _meter.CreateHistogram<double>("cryptoetl.ingest.api.duration", "s", "Duration of CoinGecko calls, retries included.");
        RateLimited = _meter.CreateCounter<long>("cryptoetl.ingest.api.rate_limited", "{response}", "429 answers from CoinGecko.");
        Retries = _meter.CreateCounter<long>("cryptoetl.ingest.api.retries", "{retry}", "Retried CoinGecko calls.");
        Runs = _meter.CreateCounter<long>("cryptoetl.ingest.runs", "{run}", "Finished runs, by status.");
    }

    public static ActivitySource Source { get; } = new(Name);

    public Counter<long> CoinsFetched { get; }

    public Counter<long> CoinsPublished { get; }

    public Counter<long> Duplicates { get; }

    public Counter<long> Rejected { get; }

    public Histogram<double> ApiDuration { get; }

    public Counter<long> RateLimited { get; }

    public Counter<long> Retries { get; }

    public Counter<long> Runs { get; }

    public void Dispose() => _meter.Dispose();
}
