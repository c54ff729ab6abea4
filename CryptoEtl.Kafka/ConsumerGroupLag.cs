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
/// for a consumer's own position.
/// </summary>
public sealed class ConsumerGroupLag(string bootstrapServers, TimeSpan? timeout = null) : IDisposable
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(3);

    private readonly Lazy<IConsumer<Ignore, Ignore>> _probe = new(() => new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
    {
        BootstrapServers = bootstrapServers,
        GroupId = "cryptoetl-lag-probe",
        EnableAutoCommit = false,
    }).SetLogHandler((_, _) => { }).Build());

    /// <summary>The group's lag per topic; null when Kafka does not answer in time.</summary>
    public async Task<GroupLag?> MeasureAsync(string group, IEnumerable<string> topics) =>
        await MeasurePartitionsAsync(group, topics) is { } partitions
            ? new GroupLag(group, partitions.GroupBy(p => p.Topic).ToDictionary(g => g.Key, g => g.Sum(p => p.Lag)))
            : null;

    /// <summary>The group's committed offset, the end offset and the lag of each partition of the topics; null when Kafka does not answer in time.</summary>
    public async Task<IReadOnlyList<PartitionLag>?> MeasurePartitionsAsync(string group, IEnumerable<string> topics)
    {
        try
        {
            using var admin = new DependentAdminClientBuilder(_probe.Value.Handle).Build();
            var partitions = topics.SelectMany(t => admin.GetMetadata(t, _timeout).Topics.Single().Partitions.Select(p => new TopicPartition(t, p.PartitionId))).ToList();
            var committed = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, partitions)],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = _timeout })).Single().Partitions;
            return [.. committed.OrderBy(c => c.Topic, StringComparer.Ordinal).ThenBy(c => c.Partition.Value).Select(c =>
            {
                var end = _probe.Value.QueryWatermarkOffsets(c.TopicPartition, _timeout).High.Value;
                long? offset = c.Offset.IsSpecial ? null : c.Offset.Value;
                return new PartitionLag(c.Topic, c.Partition.Value, offset, end, end - (offset ?? 0));
            })];
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_probe.IsValueCreated)
        {
            _probe.Value.Dispose();
        }
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
    /// GET /kafka/lag: this service's consumer group and its lag per input topic (503 while Kafka does not answer).
    /// The AppHost drains the pipeline with it before it stops the consumers.
    /// </summary>
    public static IEndpointConventionBuilder MapConsumerGroupLag(this IEndpointRouteBuilder endpoints, Func<IServiceProvider, (string Group, IReadOnlyList<string> Topics)> consumer) =>
        endpoints.MapGet(Path, async (IServiceProvider services, ConsumerGroupLag lag) =>
        {
            var (group, topics) = consumer(services);
            return await lag.MeasureAsync(group, topics) is { } measured
                ? Results.Ok(new { measured.Group, measured.Topics, measured.Total })
                : Results.Problem("Kafka did not answer in time.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Lag unknown");
        });
}
