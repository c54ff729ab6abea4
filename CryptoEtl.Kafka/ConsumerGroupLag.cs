using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoEtl.Kafka;

/// <summary>A consumer group's lag on its topics: records between its committed offsets and the end of each partition.</summary>
public sealed record GroupLag(string Group, IReadOnlyDictionary<string, long> Topics)
{
    public long Total => Topics.Values.Sum();
}

/// <summary>One partition of a group's input: what the group committed (null: nothing yet), where the partition ends, and the difference.</summary>
public sealed record PartitionLag(string Topic, int Partition, long? Committed, long End, long Lag);

/// <summary>
/// Measures consumer-group lag from committed offsets. Committed offsets are what survives a crash, so this is the lag
/// that matters for freshness and for a drain before shutdown. The one way to measure lag: the services, the AppHost
/// (through <c>/kafka/lag</c>), the tests and the benchmarks all use it, or <see cref="ConsumerLag.OfAssignment"/>
/// for a consumer's own position. A measurement that fails drops the client it used, so the next one starts afresh:
/// a client kept across a broker that came back empty stayed unable to answer (seen here for 15 minutes).
/// </summary>
public sealed class ConsumerGroupLag(string bootstrapServers, TimeSpan? timeout = null) : IDisposable
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(3);
    private readonly SemaphoreSlim _one = new(1, 1);
    private IConsumer<Ignore, Ignore>? _probe;

    /// <summary>The group's lag per topic; null when Kafka does not answer in time.</summary>
    public async Task<GroupLag?> MeasureAsync(string group, IEnumerable<string> topics) =>
        await MeasurePartitionsAsync(group, topics) is { } partitions
            ? new GroupLag(group, partitions.GroupBy(p => p.Topic).ToDictionary(g => g.Key, g => g.Sum(p => p.Lag)))
            : null;

    /// <summary>The group's committed offset, the end offset and the lag of each partition of the topics; null when Kafka does not answer in time.</summary>
    public Task<IReadOnlyList<PartitionLag>?> MeasurePartitionsAsync(string group, IEnumerable<string> topics) => WithProbeAsync<IReadOnlyList<PartitionLag>>(async (probe, admin) =>
    {
        var partitions = topics.SelectMany(t => Partitions(admin, t)).ToList();
        var committed = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, partitions)],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = _timeout })).Single().Partitions;
        return [.. committed.OrderBy(c => c.Topic, StringComparer.Ordinal).ThenBy(c => c.Partition.Value).Select(c =>
        {
            var end = probe.QueryWatermarkOffsets(c.TopicPartition, _timeout).High.Value;
            long? offset = c.Offset.IsSpecial ? null : c.Offset.Value;
            return new PartitionLag(c.Topic, c.Partition.Value, offset, end, end - (offset ?? 0));
        })];
    });

    /// <summary>Where each partition of the topic ends now (the offset its next record will get); null when Kafka does not answer in time.</summary>
    public Task<IReadOnlyDictionary<int, long>?> EndsAsync(string topic) => WithProbeAsync<IReadOnlyDictionary<int, long>>((probe, admin) =>
        Task.FromResult<IReadOnlyDictionary<int, long>>(Partitions(admin, topic).ToDictionary(p => p.Partition.Value, p => probe.QueryWatermarkOffsets(p, _timeout).High.Value)));

    private IEnumerable<TopicPartition> Partitions(IAdminClient admin, string topic) =>
        admin.GetMetadata(topic, _timeout).Topics.Single().Partitions.Select(p => new TopicPartition(topic, p.PartitionId));

    /// <summary>One measurement at a time, on the probe client; one that fails drops the client, so the next starts afresh.</summary>
    private async Task<T?> WithProbeAsync<T>(Func<IConsumer<Ignore, Ignore>, IAdminClient, Task<T>> measure) where T : class
    {
        await _one.WaitAsync();
        try
        {
            _probe ??= new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
            {
                BootstrapServers = bootstrapServers,
                GroupId = "cryptoetl-lag-probe",
                EnableAutoCommit = false,
            }).SetLogHandler((_, _) => { }).Build();
            using var admin = new DependentAdminClientBuilder(_probe.Handle).Build();
            return await measure(_probe, admin);
        }
        catch (KafkaException)
        {
            _probe?.Dispose();
            _probe = null;
            return null;
        }
        finally
        {
            _one.Release();
        }
    }

    public void Dispose()
    {
        _probe?.Dispose();
        _one.Dispose();
    }
}

/// <summary>A running consumer's own lag: records between its position and the end of each partition it is assigned.</summary>
public static class ConsumerLag
{
    /// <summary>
    /// From the consumer's local state (its position and the watermarks its fetches brought back), so it costs no
    /// request; optionally only the partitions of one topic.
    /// </summary>
    public static long OfAssignment<TKey, TValue>(this IConsumer<TKey, TValue> consumer, string? topic = null) =>
        consumer.Assignment.Where(p => topic is null || p.Topic == topic).Sum(p =>
        {
            var position = consumer.Position(p);
            var high = consumer.GetWatermarkOffsets(p).High;
            return position.IsSpecial || high.IsSpecial ? 0 : Math.Max(0, high.Value - position.Value);
        });
}

public static class ConsumerGroupLagEndpoints
{
    public const string Path = "/kafka/lag";

    public static IServiceCollection AddConsumerGroupLag(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton(_ => new ConsumerGroupLag(KafkaConnection.BootstrapServers(configuration)));

    /// <summary>
    /// GET /kafka/lag: this service's consumer group, its lag per input topic, and (for a batch stage) the records
    /// Kafka lost per topic before the stage read them (503 while Kafka does not answer). The AppHost drains the pipeline
    /// with it before it stops the consumers, and reports losses from it.
    /// </summary>
    public static IEndpointConventionBuilder MapConsumerGroupLag(this IEndpointRouteBuilder endpoints, Func<IServiceProvider, (string Group, IReadOnlyList<string> Topics)> consumer) =>
        endpoints.MapGet(Path, async (IServiceProvider services, ConsumerGroupLag lag) =>
        {
            var (group, topics) = consumer(services);
            var lost = services.GetService<Stages.BatchStageStatus>()?.Lost.GroupBy(l => l.Key.Topic).ToDictionary(g => g.Key, g => g.Sum(l => l.Value))
                ?? new Dictionary<string, long>();
            return await lag.MeasureAsync(group, topics) is { } measured
                ? Results.Ok(new { measured.Group, measured.Topics, measured.Total, Lost = lost })
                : Results.Problem("Kafka did not answer in time.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Lag unknown");
        });
}
