using System.Text;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Ingest.CoinGecko;
using CryptoEtl.Ingest.Publishing;
using CryptoEtl.Ingest.Telemetry;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Ingest.Runs;

/// <summary>
/// One extraction: fetch the top N coins page by page, dead-letter the coins that fail validation, drop the ones already
/// published, publish the rest and wait for every delivery report. Fails (with the count) if any delivery failed.
/// </summary>
public sealed class IngestRunner(
    CoinGeckoClient coinGecko,
    SnapshotPublisher publisher,
    SourceDedupe dedupe,
    IOptions<CoinGeckoOptions> options,
    IngestTelemetry telemetry,
    TimeProvider clock,
    ILogger<IngestRunner> logger)
{
    public const string Stage = "ingest";

    public async Task<RunCounts> RunAsync(string runId, Action<RunCounts> progress, CancellationToken cancellation)
    {
        var settings = options.Value;
        var fetchedAt = clock.GetUtcNow();
        var ids = settings.IdList;
        var wanted = ids.Count > 0 ? ids.Count : settings.TopN;
        var pages = (int)Math.Ceiling(wanted / (double)settings.PerPage);

        var snapshots = new List<MarketSnapshot>();
        var rejected = new List<RejectedCoin>();
        var source = DataSource.CoinGecko;
        for (var page = 1; page <= pages; page++)
        {
            // The last page may go past N; the coins beyond it are not this run's.
            var room = wanted - snapshots.Count - rejected.Count;
            var parsed = await coinGecko.GetMarketsPageAsync(page, settings.PerPage, settings.VsCurrency, ids, (body, from) =>
            {
                source = from;
                return MarketsParser.Parse(body, new IngestContext(runId, from, fetchedAt, settings.VsCurrency), room);
            }, cancellation);

            snapshots.AddRange(parsed.Snapshots);
            rejected.AddRange(parsed.Rejected);
            progress(new RunCounts(snapshots.Count + rejected.Count, 0, 0, rejected.Count, Name(source)));
            if (parsed.Count < Math.Min(room, settings.PerPage))
            {
                break; // the last page
            }
        }

        if (source == DataSource.Simulator)
        {
            logger.SimulatedSource(runId);
        }

        var fetched = snapshots.Count + rejected.Count;
        telemetry.CoinsFetched.Add(fetched);
        foreach (var coin in rejected)
        {
            logger.CoinRejected(coin.CoinId ?? "?", coin.Reason, coin.Error);
            await publisher.DeadLetterAsync(
                DeadLetters.FromPayload(Stage, coin.Reason, coin.Error, Encoding.UTF8.GetBytes(coin.RawJson), clock.GetUtcNow(), coin.CoinId),
                cancellation);
            telemetry.Rejected.Add(1, new KeyValuePair<string, object?>("reason", coin.Reason));
        }

        var (fresh, duplicates) = dedupe.Filter(snapshots);
        telemetry.Duplicates.Add(duplicates);
        var (delivered, errors) = await publisher.PublishAsync(fresh, runId, cancellation);
        dedupe.Remember(delivered);
        telemetry.CoinsPublished.Add(delivered.Count);

        var counts = new RunCounts(fetched, delivered.Count, duplicates, rejected.Count, Name(source));
        progress(counts);
        if (errors.Count > 0)
        {
            throw new RunFailedException($"{errors.Count} of {fresh.Count} deliveries to Kafka failed (first: {errors[0]})", counts);
        }

        return counts;
    }

    private static string Name(DataSource source) => source == DataSource.Simulator ? "simulator" : "coingecko";
}

/// <summary>A run that failed after doing part of its work; the counts say how far it got.</summary>
public sealed class RunFailedException(string message, RunCounts counts) : Exception(message)
{
    public RunCounts Counts { get; } = counts;
}
