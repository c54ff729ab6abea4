using System.Net.Http.Json;

namespace CryptoEtl.Contracts.Api;

/// <summary>How fresh each stage is: its newest event time and age, and how far the consumers are behind (GET /api/pipeline/freshness).</summary>
public sealed record FreshnessView(DateTimeOffset CheckedAt, IReadOnlyDictionary<string, StageFreshness> Stages, IReadOnlyDictionary<string, long?> ConsumerLag);

public sealed record StageFreshness(DateTimeOffset? NewestEventTime, double? AgeSeconds);

/// <summary>The store and its documents per collection (GET /api/pipeline/stats).</summary>
public sealed record StatsView(string Store, IReadOnlyDictionary<string, long> Documents);

/// <summary>The Processor's pipeline API, for the services that call it (the scheduler, the console), at <c>http://processor</c>.</summary>
public sealed class ProcessorClient(HttpClient http)
{
    public const string ServiceName = "processor";

    public HttpClient Http => http;

    public async Task<ApiResponse<FreshnessView>> FreshnessAsync(CancellationToken cancellation)
    {
        using var response = await http.GetAsync(new Uri("api/pipeline/freshness", UriKind.Relative), cancellation);
        return await ApiResponse<FreshnessView>.ReadAsync(response, cancellation);
    }

    public async Task<StatsView?> StatsAsync(CancellationToken cancellation) =>
        await http.GetFromJsonAsync<StatsView>(new Uri("api/pipeline/stats", UriKind.Relative), ApiJson.Options, cancellation);
}
