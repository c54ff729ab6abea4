using Microsoft.Extensions.Logging;

namespace CryptoEtl.Ingest.Telemetry;

/// <summary>Every log line of the Ingest service. None of them can carry the API key: no message takes it.</summary>
internal static partial class IngestLog
{
    [LoggerMessage(1, LogLevel.Information, "Ingest run {RunId} started")]
    public static partial void RunStarted(this ILogger logger, string runId);

    [LoggerMessage(2, LogLevel.Information, "Ingest run {RunId} succeeded: fetched {Fetched}, published {Published}, duplicates {Duplicates}, rejected {Rejected}, source {Source}")]
    public static partial void RunSucceeded(this ILogger logger, string runId, int fetched, int published, int duplicates, int rejected, string source);

    [LoggerMessage(3, LogLevel.Error, "Ingest run {RunId} failed: {Error}")]
    public static partial void RunFailed(this ILogger logger, string runId, string error);

    [LoggerMessage(4, LogLevel.Warning, "Rejected coin {CoinId} ({Reason}): {Error}")]
    public static partial void CoinRejected(this ILogger logger, string coinId, string reason, string error);

    [LoggerMessage(5, LogLevel.Warning, "CoinGecko call failed, retry {Attempt} in {Delay}: {Outcome}")]
    public static partial void Retrying(this ILogger logger, int attempt, TimeSpan delay, string outcome);

    [LoggerMessage(6, LogLevel.Warning, "Marked {Count} run(s) left running by an earlier process as failed")]
    public static partial void InterruptedRuns(this ILogger logger, int count);

    [LoggerMessage(7, LogLevel.Information, "Ingest ready: CoinGecko {CoinGecko}; run ledger in {Ledger}; dedupe state in {DedupeFile}")]
    public static partial void Ready(this ILogger logger, string coinGecko, string ledger, string dedupeFile);

    [LoggerMessage(8, LogLevel.Warning, "The data comes from the CoinGecko SIMULATOR, not the real API (run {RunId})")]
    public static partial void SimulatedSource(this ILogger logger, string runId);

    [LoggerMessage(9, LogLevel.Warning, "Kafka lost the snapshots already published ({Lost}): run {RunId} publishes the whole market again")]
    public static partial void SnapshotsLost(this ILogger logger, string runId, string lost);
}
