using System.Text;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Ingest.CoinGecko;
using CryptoEtl.Ingest.Publishing;
using CryptoEtl.Ingest.Telemetry;
using CryptoEtl.Kafka;
using CryptoEtl.Contracts;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Ingest.Runs;

/// <summary>
/// One extraction: fetch the top N coins page by page, dead-letter the coins that fail validation, drop the ones already
/// published, and publish each page while the next is fetched; then wait for every delivery report. Fails (with the
/// count) if any delivery failed. A snapshots topic that lost what was published (a broker that came back empty) gets
/// the whole market again.
/// </summary>
public sealed class IngestRunner(
    CoinGeckoClient coinGecko,
    SnapshotPublisher publisher,
    SourceDedupe dedupe,
    KafkaOffsets offsets,
    IOptions<CoinGeckoOptions> options,
    IngestTelemetry telemetry,
    TimeProvider clock,
    ILogger<IngestRunner> logger)
{
    public const string Stage = "ingest";

    public async Task<RunCounts> RunAsync(string runId, Action<RunCounts> progress, CancellationToken cancellation)
    {
        var settings = options.Value;
        if (await offsets.EndsAsync(Topics.Snapshots) is { } ends && dedupe.ForgetIfLost(ends) is { } lost)
        {
            logger.SnapshotsLost(runId, lost);
        }

        var wanted = settings.CoinsPerRun;
        var pages = settings.PagesPerRun;

        // Each page is published as soon as it is parsed, while the next one is fetched: a coin on the first page does
        // not wait for the requests of the pages after it.
        var sending = new List<Task<(List<Delivered> Delivered, List<string> Errors)>>();
        var inThisRun = new HashSet<(string, DateTimeOffset)>();
        var rejected = new List<RejectedCoin>();
        var (parsedCount, duplicates) = (0, 0);
        var source = DataSource.CoinGecko;
        try
        {
            for (var page = 1; page <= pages; page++)
            {
                // The last page may go past N; the coins beyond it are not this run's.
                var room = wanted - parsedCount - rejected.Count;
                var parsed = await coinGecko.GetMarketsPageAsync(page, settings, (body, from) =>
                {
                    source = from;
                    // Each page is checked against the time it came: a run over the whole market takes minutes, and
                    // coins refreshed since the run started are not from the future.
                    return MarketsParser.Parse(body, new IngestContext(runId, from, clock.GetUtcNow(), settings.VsCurrency), room);
                }, cancellation);

                parsedCount += parsed.Snapshots.Count;
                rejected.AddRange(parsed.Rejected);
                // A coin that moved up a page while the run read them comes twice: it is sent once.
                var (fresh, _) = dedupe.Filter(parsed.Snapshots.Where(s => inThisRun.Add((s.Id, s.LastUpdated))));
                duplicates += parsed.Snapshots.Count - fresh.Count;
                sending.Add(publisher.PublishAsync(fresh, runId, cancellation));
                progress(new RunCounts(parsedCount + rejected.Count, 0, 0, rejected.Count, Name(source)));
                if (parsed.Count < Math.Min(room, settings.PerPage))
                {
                    break; // the last page
                }
            }
        }
        finally
        {
            // Even when a page fails, what was sent is waited for and remembered, so the next run does not send it again.
            await ((Task)Task.WhenAll(sending)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            dedupe.Remember(sending.Where(t => t.IsCompletedSuccessfully).SelectMany(t => t.Result.Delivered));
        }

        if (source == DataSource.Simulator)
        {
            logger.SimulatedSource(runId);
        }

        var fetched = parsedCount + rejected.Count;
        telemetry.CoinsFetched.Add(fetched);
        // All at once, not one delivery report after another: a bad market (a changed API) can reject thousands.
        await Task.WhenAll(rejected.Select(coin =>
        {
            logger.CoinRejected(coin.CoinId ?? "?", coin.Reason, coin.Error);
            telemetry.Rejected.Add(1, new KeyValuePair<string, object?>("reason", coin.Reason));
            return publisher.DeadLetterAsync(
                DeadLetters.FromPayload(Stage, coin.Reason, coin.Error, Encoding.UTF8.GetBytes(coin.RawJson), clock.GetUtcNow(), coin.CoinId), cancellation);
        }));

        var sent = await Task.WhenAll(sending);
        telemetry.Duplicates.Add(duplicates);
        var delivered = sent.Sum(r => r.Delivered.Count);
        var errors = sent.SelectMany(r => r.Errors).ToList();
        telemetry.CoinsPublished.Add(delivered);

        var counts = new RunCounts(fetched, delivered, duplicates, rejected.Count, Name(source));
        progress(counts);
        if (errors.Count > 0)
        {
            throw new RunFailedException($"{errors.Count} of {delivered + errors.Count} deliveries to Kafka failed (first: {errors[0]})", counts);
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
