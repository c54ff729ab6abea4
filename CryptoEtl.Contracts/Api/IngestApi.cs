using System.Net.Http.Json;

namespace CryptoEtl.Contracts.Api;

/// <summary>An ingest run as Ingest's run API shows it (GET /runs, GET /runs/{id}, POST /runs).</summary>
public sealed record RunView(
    string RunId,
    string Status,
    string? IdempotencyKey,
    string? Source,
    DateTimeOffset RequestedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds,
    int Fetched,
    int Published,
    int Duplicates,
    int Rejected,
    string? Error)
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>
/// Ingest's run API, for the services that call it (the scheduler, the console): a typed client whose base address is
/// the service's name (<c>http://ingest</c>, resolved by service discovery).
/// </summary>
public sealed class IngestClient(HttpClient http)
{
    public const string ServiceName = "ingest";
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public HttpClient Http => http;

    /// <summary>POST /runs: the response as it is (202 with the run, 409 while another runs, a problem otherwise).</summary>
    public async Task<ApiResponse<RunView>> TriggerAsync(string? idempotencyKey, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "runs");
        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        }

        using var response = await http.SendAsync(request, cancellation);
        return await ApiResponse<RunView>.ReadAsync(response, cancellation);
    }

    /// <summary>GET /runs/{id}.</summary>
    public async Task<ApiResponse<RunView>> RunAsync(string runId, CancellationToken cancellation)
    {
        using var response = await http.GetAsync(new Uri($"runs/{Uri.EscapeDataString(runId)}", UriKind.Relative), cancellation);
        return await ApiResponse<RunView>.ReadAsync(response, cancellation);
    }

    /// <summary>GET /runs?limit=N: the newest runs first.</summary>
    public async Task<RunView[]> RunsAsync(int limit, CancellationToken cancellation) =>
        await http.GetFromJsonAsync<RunView[]>(new Uri($"runs?limit={limit}", UriKind.Relative), ApiJson.Options, cancellation) ?? [];
}
