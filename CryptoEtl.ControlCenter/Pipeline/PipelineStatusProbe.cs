using CryptoEtl.Contracts.Api;
using CryptoEtl.Kafka;
using OpenTelemetry;

namespace CryptoEtl.ControlCenter.Pipeline;

/// <summary>
/// Reads the pipeline's status from where each fact lives: topic sizes from Kafka (<see cref="KafkaOffsets"/>), stored
/// documents from the Processor's read API, runs from Ingest's and the scheduler's histories (their typed clients), and
/// each service's /health. A service the console is not given (no <c>services__&lt;name&gt;__http__0</c>) is left out;
/// one that does not answer within <see cref="Patience"/> counts as nothing, so the page shows what it can at once.
/// </summary>
public sealed class PipelineStatusProbe(IConfiguration configuration, KafkaOffsets offsets, IHttpClientFactory clients,
    IngestClient ingest, ProcessorClient processor, SchedulerClient scheduler)
{
    public static readonly string[] Services = [IngestClient.ServiceName, "sparkjob", ProcessorClient.ServiceName, SchedulerClient.ServiceName];

    /// <summary>How long a status read waits for each service.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    public async Task<PipelineStatus> ReadAsync(CancellationToken cancellation)
    {
        using var untraced = SuppressInstrumentationScope.Begin(); // polled every few seconds: not worth a trace
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        patience.CancelAfter(Patience);
        var services = Task.WhenAll(Services.Select(s => HealthAsync(s, patience.Token, cancellation)));
        var collections = CountAsync(ProcessorClient.ServiceName, async token => (await processor.StatsAsync(token))?.Documents, patience.Token, cancellation);
        var runs = CountAsync(IngestClient.ServiceName, async token => ByOutcome(await ingest.RunsAsync(500, token), r => r.Status), patience.Token, cancellation);
        var dagRuns = CountAsync(SchedulerClient.ServiceName, async token => ByOutcome(await scheduler.RunsAsync(1000, token), r => r.State.ToString().ToLowerInvariant()), patience.Token, cancellation);
        var topics = (await offsets.TopicsAsync())?.ToDictionary(t => t.Name, t => t.Written) ?? [];
        var counts = new PipelineCounts(topics, await collections, await runs, await dagRuns);
        return new PipelineStatus(configuration["Pipeline:Source"] ?? "unknown", [.. (await services).OfType<ServiceHealth>()], counts);
    }

    private async Task<ServiceHealth?> HealthAsync(string service, CancellationToken patience, CancellationToken cancellation)
    {
        if (ServiceClients.Address(configuration, service) is not { } address)
        {
            return null;
        }

        var url = address.ToString().TrimEnd('/');
        try
        {
            using var response = await clients.CreateClient().GetAsync(new Uri($"http://{service}/health"), patience);
            return new ServiceHealth(service, url, response.IsSuccessStatusCode ? "Healthy" : "Unhealthy");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            return new ServiceHealth(service, url, "Unreachable");
        }
    }

    private async Task<IReadOnlyDictionary<string, long>> CountAsync(string service, Func<CancellationToken, Task<IReadOnlyDictionary<string, long>?>> read,
        CancellationToken patience, CancellationToken cancellation)
    {
        if (ServiceClients.Address(configuration, service) is null)
        {
            return new Dictionary<string, long>();
        }

        try
        {
            return await read(patience) ?? new Dictionary<string, long>();
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            return new Dictionary<string, long>();
        }
    }

    private static Dictionary<string, long> ByOutcome<T>(IEnumerable<T> runs, Func<T, string> outcome) =>
        runs.GroupBy(outcome).ToDictionary(g => g.Key, g => (long)g.Count());
}
