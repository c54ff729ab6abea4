namespace CryptoEtl.Ingest.Runs;

public enum RunStatus
{
    Running,
    Succeeded,
    Failed,
}

/// <summary>One extraction run as the ledger keeps it and <c>GET /runs/{id}</c> shows it.</summary>
public sealed record IngestRun
{
    public required string RunId { get; init; }
    public string? IdempotencyKey { get; init; }
    public required RunStatus Status { get; init; }

    /// <summary>coingecko or simulator, once known.</summary>
    public string? Source { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int Fetched { get; init; }
    public int Published { get; init; }
    public int Duplicates { get; init; }
    public int Rejected { get; init; }
    public string? Error { get; init; }

    public TimeSpan? Duration => FinishedAt - StartedAt;

    /// <summary>Sortable and readable: 20261124T082548123Z-1a2b3c.</summary>
    public static string NewId(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
}

/// <summary>The counts a finished run reports.</summary>
public sealed record RunCounts(int Fetched, int Published, int Duplicates, int Rejected, string Source);
