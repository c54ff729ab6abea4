using System.Net.Http.Json;

namespace CryptoEtl.Contracts.Api;

/// <summary>What the console's GET /api/status answers: the data source, each service's health and what has flowed so far.</summary>
public sealed record PipelineStatus(string Source, IReadOnlyList<ServiceHealth> Services, PipelineCounts Counts);

public sealed record ServiceHealth(string Name, string Url, string Health);

/// <summary>Records written per topic, documents per stored collection, ingest runs and DAG runs by outcome.</summary>
public sealed record PipelineCounts(
    IReadOnlyDictionary<string, long> Topics,
    IReadOnlyDictionary<string, long> Collections,
    IReadOnlyDictionary<string, long> Runs,
    IReadOnlyDictionary<string, long> DagRuns)
{
    public static PipelineCounts Empty { get; } = new(new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<string, long>());
}

/// <summary>
/// What a consumer's GET /kafka/lag answers: its group, its lag per input topic (from committed offsets) and in all,
/// and the records Kafka lost per topic before the stage read them.
/// </summary>
public sealed record LagView(string Group, IReadOnlyDictionary<string, long> Topics, long Total, IReadOnlyDictionary<string, long> Lost)
{
    public const string Path = "/kafka/lag";
}

/// <summary>GET /kafka/lag on a consumer (the job, the loader), for the AppHost's drain and reports.</summary>
public static class LagClient
{
    /// <summary>The consumer's lag; null when it answers, but not with its lag (503: Kafka did not answer it in time).</summary>
    public static async Task<LagView?> LagAsync(this HttpClient http, Uri service, CancellationToken cancellation)
    {
        using var response = await http.GetAsync(new Uri(service, LagView.Path), cancellation);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<LagView>(ApiJson.Options, cancellation) : null;
    }
}
