using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;


namespace CryptoEtl.AppHost.Embedded;

/// <summary>What has flowed so far: records per topic, documents per stored collection, runs by outcome.</summary>
public sealed record PipelineCounts(
    IReadOnlyDictionary<string, long> Topics,
    IReadOnlyDictionary<string, long> Collections,
    IReadOnlyDictionary<string, long> Runs,
    IReadOnlyDictionary<string, long> DagRuns)
{
    public static PipelineCounts Empty { get; } = new(new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<string, long>());
}

/// <summary>Reads the counts from Kafka (high watermarks), the Processor's stats and the Ingest and scheduler histories.</summary>
public sealed class PipelineCountsProbe(string bootstrapServers, Uri processor, Uri ingest, Uri? scheduler) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly IConsumer<Ignore, Ignore> _kafka = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
    {
        BootstrapServers = bootstrapServers,
        GroupId = "cryptoetl-apphost-status",
    }).SetLogHandler((_, _) => { }).Build();

    public async Task<PipelineCounts> ReadAsync(CancellationToken cancellation)
    {
        var topics = new Dictionary<string, long>();
        foreach (var topic in CryptoEtl.Contracts.Topics.All)
        {
            topics[topic.Name] = Enumerable.Range(0, topic.Partitions).Sum(p =>
            {
                try
                {
                    return _kafka.QueryWatermarkOffsets(new TopicPartition(topic.Name, p), TimeSpan.FromSeconds(2)).High.Value;
                }
                catch (KafkaException)
                {
                    return 0L;
                }
            });
        }

        var collections = await TryGet(new Uri(processor, "/api/pipeline/stats"), body =>
            body.GetProperty("documents").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()), cancellation);
        var runs = await TryGet(new Uri(ingest, "/runs?limit=500"), body =>
            body.EnumerateArray().GroupBy(r => r.GetProperty("status").GetString()!).ToDictionary(g => g.Key, g => (long)g.Count()), cancellation);
        var dagRuns = scheduler is null ? null : await TryGet(new Uri(scheduler, "/scheduler/runs?limit=1000"), body =>
            body.EnumerateArray().GroupBy(r => r.GetProperty("state").GetString()!).ToDictionary(g => g.Key, g => (long)g.Count()), cancellation);
        return new PipelineCounts(topics, collections ?? [], runs ?? [], dagRuns ?? []);
    }

    public void Dispose()
    {
        _http.Dispose();
        _kafka.Dispose();
    }

    private async Task<Dictionary<string, long>?> TryGet(Uri url, Func<JsonElement, Dictionary<string, long>> read, CancellationToken cancellation)
    {
        try
        {
            return read(await _http.GetFromJsonAsync<JsonElement>(url, Json, cancellation));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
