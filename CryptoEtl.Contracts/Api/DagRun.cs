namespace CryptoEtl.Contracts.Api;

public enum DagRunState
{
    Queued,
    Running,
    Success,
    Failed,

    /// <summary>A slot missed while the scheduler was stopped (or the clock jumped): recorded, not run.</summary>
    Skipped,
}

/// <summary>One DAG run, as Airflow's run history shows it.</summary>
public sealed record DagRun
{
    /// <summary>scheduled__&lt;logical time&gt; or manual__&lt;time&gt;, like Airflow's run ids; also the ingest idempotency key.</summary>
    public required string DagRunId { get; init; }
    public required DateTimeOffset LogicalTime { get; init; }
    public required DagRunState State { get; init; }
    public required string Trigger { get; init; }
    public int Tries { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? IngestRunId { get; init; }
    public string? Error { get; init; }

    public static string ScheduledId(DateTimeOffset logical) => $"scheduled__{logical.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'+00:00'}";

    public static string ManualId(DateTimeOffset at) => $"manual__{at.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'}";
}

/// <summary>The embedded scheduler's API (GET /scheduler/runs, POST /scheduler/runs), for the console, at <c>http://airflow</c>.</summary>
public sealed class SchedulerClient(HttpClient http)
{
    public const string ServiceName = "airflow";

    public HttpClient Http => http;

    /// <summary>The newest DAG runs first.</summary>
    public async Task<DagRun[]> RunsAsync(int limit, CancellationToken cancellation) =>
        await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<DagRun[]>(http, new Uri($"scheduler/runs?limit={limit}", UriKind.Relative), ApiJson.Options, cancellation) ?? [];
}
