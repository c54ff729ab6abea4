using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using OpenTelemetry;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Pipeline;

/// <summary>
/// Reads the pipeline's status from where each fact lives: topic sizes from Kafka (high watermarks of every topic),
/// stored documents from the Processor's read API, runs from Ingest's and the scheduler's histories, and each
/// service's /health. Services are found the Aspire way (services__&lt;name&gt;__http__0); one that does not answer
/// counts as nothing, so the page shows what it can.
/// </summary>
public sealed class PipelineStatusProbe(IConfiguration configuration) : IDisposable
{
    public static readonly string[] Services = ["ingest", "sparkjob", "processor", "airflow"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(2);

    // Not the factory's client with its retries: a status read says at once that a service does not answer.
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly Lazy<IConsumer<Ignore, Ignore>> _kafka = new(() => new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
    {
        BootstrapServers = KafkaConnection.BootstrapServers(configuration),
        GroupId = "cryptoetl-control-center",
    }).SetLogHandler((_, _) => { }).Build());

    public async Task<PipelineStatus> ReadAsync(CancellationToken cancellation)
    {
        using var untraced = SuppressInstrumentationScope.Begin(); // polled every few seconds: not worth a trace
        var services = Task.WhenAll(Services.Select(s => HealthAsync(s, cancellation)));
        var collections = CountAsync("processor", "/api/pipeline/stats", body => body.GetProperty("documents").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()), cancellation);
        var runs = CountAsync("ingest", "/runs?limit=500", body => ByProperty(body, "status"), cancellation);
        var dagRuns = CountAsync("airflow", "/scheduler/runs?limit=1000", body => ByProperty(body, "state"), cancellation);
        var counts = new PipelineCounts(TopicSizes(), await collections, await runs, await dagRuns);
        return new PipelineStatus(configuration["Pipeline:Source"] ?? "unknown", [.. (await services).OfType<ServiceHealth>()], counts);
    }

    public void Dispose()
    {
        _http.Dispose();
        if (_kafka.IsValueCreated)
        {
            _kafka.Value.Dispose();
        }
    }

    private Dictionary<string, long> TopicSizes()
    {
        try
        {
            using var admin = new DependentAdminClientBuilder(_kafka.Value.Handle).Build();
            return admin.GetMetadata(KafkaTimeout).Topics.Where(t => !t.Topic.StartsWith("__", StringComparison.Ordinal)).ToDictionary(t => t.Topic,
                t => t.Partitions.Sum(p => _kafka.Value.QueryWatermarkOffsets(new TopicPartition(t.Topic, p.PartitionId), KafkaTimeout).High.Value));
        }
        catch (KafkaException)
        {
            return [];
        }
    }

    private async Task<ServiceHealth?> HealthAsync(string service, CancellationToken cancellation)
    {
        if (Url(service) is not { } url)
        {
            return null;
        }

        try
        {
            using var response = await _http.GetAsync(new Uri(url, "/health"), cancellation);
            return new ServiceHealth(service, url.ToString().TrimEnd('/'), response.IsSuccessStatusCode ? "Healthy" : "Unhealthy");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            return new ServiceHealth(service, url.ToString().TrimEnd('/'), "Unreachable");
        }
    }

    private async Task<Dictionary<string, long>> CountAsync(string service, string path, Func<JsonElement, Dictionary<string, long>> read, CancellationToken cancellation)
    {
        if (Url(service) is not { } url)
        {
            return [];
        }

        try
        {
            return read(await _http.GetFromJsonAsync<JsonElement>(new Uri(url, path), Json, cancellation));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException
            or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            return [];
        }
    }

    private static Dictionary<string, long> ByProperty(JsonElement runs, string property) =>
        runs.EnumerateArray().GroupBy(r => r.GetProperty(property).GetString() ?? "unknown").ToDictionary(g => g.Key, g => (long)g.Count());

    private Uri? Url(string service) => configuration[$"services:{service}:http:0"] is { Length: > 0 } url ? new Uri(url) : null;
}
