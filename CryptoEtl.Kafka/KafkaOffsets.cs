using Confluent.Kafka;
using Confluent.Kafka.Admin;
using CryptoEtl.Contracts.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CryptoEtl.Kafka;

/// <summary>A consumer group's lag on its topics: records between its committed offsets and the end of each partition.</summary>
public sealed record GroupLag(string Group, IReadOnlyDictionary<string, long> Topics)
{
    public long Total => Topics.Values.Sum();
}

/// <summary>One partition of a group's input: what the group committed (null: nothing yet), where the partition ends, and the difference.</summary>
public sealed record PartitionLag(string Topic, int Partition, long? Committed, long End, long Lag);

/// <summary>A partition's oldest offset still held and its end (the offset its next record will get).</summary>
public sealed record PartitionOffsets(int Partition, long Low, long High);

/// <summary>A topic's partitions and their offsets now.</summary>
public sealed record TopicOffsets(string Name, IReadOnlyList<PartitionOffsets> Partitions)
{
    /// <summary>How many records the topic holds now.</summary>
    public long Records => Partitions.Sum(p => p.High - p.Low);

    /// <summary>How many records were ever written to it (the sum of its ends).</summary>
    public long Written => Partitions.Sum(p => p.High);
}

/// <summary>A member of a consumer group, as the broker describes it.</summary>
public sealed record GroupMember(string ClientId, string Host, IReadOnlyList<string> Assignment);

/// <summary>
/// The one way to ask Kafka about offsets: partition watermarks, topic ends, consumer-group lag from committed offsets,
/// and group members. Committed offsets are what survives a crash, so that is the lag that matters for freshness and
/// for a drain before shutdown. The services, the console, the AppHost (through <c>/kafka/lag</c>), the tests and the
/// benchmarks all use it, or <see cref="ConsumerLag.OfAssignment"/> for a consumer's own position. Its client is built
/// from the service's Kafka settings (<see cref="KafkaConnection.Consumer"/>), so a secured cluster's settings apply.
/// A question that fails drops the client it used, so the next one starts afresh: a client kept across a broker that
/// came back empty stayed unable to answer (seen here for 15 minutes).
/// </summary>
public sealed class KafkaOffsets : IDisposable
{
    public const string ProbeGroup = "cryptoetl-offsets-probe";

    private readonly ConsumerConfig _config;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _one = new(1, 1);
    private IConsumer<Ignore, Ignore>? _probe;

    /// <param name="config">The client's settings; its group id is only a name for the probe (it never joins).</param>
    public KafkaOffsets(ConsumerConfig config, TimeSpan? timeout = null)
    {
        _config = new ConsumerConfig(new Dictionary<string, string>(config)) { GroupId = config.GroupId ?? ProbeGroup, EnableAutoCommit = false };
        _timeout = timeout ?? TimeSpan.FromSeconds(3);
    }

    public KafkaOffsets(string bootstrapServers, TimeSpan? timeout = null)
        : this(new ConsumerConfig { BootstrapServers = bootstrapServers }, timeout)
    {
    }

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

    /// <summary>Every topic but Kafka's own (<c>__</c>), by name, with its partitions' offsets; null when Kafka does not answer in time.</summary>
    public Task<IReadOnlyList<TopicOffsets>?> TopicsAsync() => WithProbeAsync<IReadOnlyList<TopicOffsets>>((probe, admin) =>
        Task.FromResult<IReadOnlyList<TopicOffsets>>([.. admin.GetMetadata(_timeout).Topics
            .Where(t => !t.Topic.StartsWith("__", StringComparison.Ordinal) && t.Error.Code == ErrorCode.NoError)
            .OrderBy(t => t.Topic, StringComparer.Ordinal)
            .Select(t => new TopicOffsets(t.Topic, [.. t.Partitions.OrderBy(p => p.PartitionId).Select(p =>
            {
                var offsets = probe.QueryWatermarkOffsets(new TopicPartition(t.Topic, p.PartitionId), _timeout);
                return new PartitionOffsets(p.PartitionId, offsets.Low.Value, offsets.High.Value);
            })]))]));

    /// <summary>
    /// The members of each group; null when Kafka does not answer in time. A broker that cannot describe groups
    /// (librdkafka's embedded one) throws, with its error.
    /// </summary>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<GroupMember>>?> MembersAsync(IEnumerable<string> groups) =>
        WithProbeAsync<IReadOnlyDictionary<string, IReadOnlyList<GroupMember>>>(async (_, admin) =>
        {
            var described = await admin.DescribeConsumerGroupsAsync(groups, new DescribeConsumerGroupsOptions { RequestTimeout = _timeout });
            return described.ConsumerGroupDescriptions.ToDictionary(d => d.GroupId, d => (IReadOnlyList<GroupMember>)[.. d.Members.Select(m =>
                new GroupMember(m.ClientId, m.Host, [.. m.Assignment.TopicPartitions.Select(p => $"{p.Topic}/{p.Partition.Value}")]))]);
        }, rethrow: e => e.Error.Code is not (ErrorCode.Local_TimedOut or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown));

    private IEnumerable<TopicPartition> Partitions(IAdminClient admin, string topic) =>
        admin.GetMetadata(topic, _timeout).Topics.Single().Partitions.Select(p => new TopicPartition(topic, p.PartitionId));

    /// <summary>One question at a time, on the probe client; one that fails drops the client, so the next starts afresh.</summary>
    private async Task<T?> WithProbeAsync<T>(Func<IConsumer<Ignore, Ignore>, IAdminClient, Task<T>> ask, Func<KafkaException, bool>? rethrow = null) where T : class
    {
        await _one.WaitAsync();
        try
        {
            _probe ??= new ConsumerBuilder<Ignore, Ignore>(_config).SetLogHandler((_, _) => { }).Build();
            using var admin = new DependentAdminClientBuilder(_probe.Handle).Build();
            return await ask(_probe, admin);
        }
        catch (KafkaException e) when (rethrow?.Invoke(e) != true)
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

public static class KafkaOffsetsExtensions
{
    /// <summary>
    /// Registers the service's <see cref="KafkaOffsets"/> for <c>ConnectionStrings:{connectionName}</c>, with the
    /// service's Kafka settings, and the Kafka readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaOffsets(this IHostApplicationBuilder builder, string connectionName = KafkaConnection.ConnectionName)
    {
        builder.Services.TryAddSingleton(sp => new KafkaOffsets(KafkaConnection.Consumer(sp.GetRequiredService<IConfiguration>(),
            $"{builder.Environment.ApplicationName}-offsets", KafkaOffsets.ProbeGroup, connectionName)));
        builder.Services.AddHealthChecks().AddKafka(builder.Configuration, connectionName);
        return builder;
    }

    /// <summary>
    /// GET /kafka/lag: this service's consumer group, its lag per input topic, and (for a batch stage) the records
    /// Kafka lost per topic before the stage read them (503 while Kafka does not answer). The AppHost drains the pipeline
    /// with it before it stops the consumers, and reports losses from it.
    /// </summary>
    public static IEndpointConventionBuilder MapKafkaLag(this IEndpointRouteBuilder endpoints, Func<IServiceProvider, (string Group, IReadOnlyList<string> Topics)> consumer) =>
        endpoints.MapGet(LagView.Path, async (IServiceProvider services, KafkaOffsets lag) =>
        {
            var (group, topics) = consumer(services);
            var lost = services.GetService<Stages.BatchStageStatus>()?.Lost.GroupBy(l => l.Key.Topic).ToDictionary(g => g.Key, g => g.Sum(l => l.Value))
                ?? new Dictionary<string, long>();
            return await lag.MeasureAsync(group, topics) is { } measured
                ? Results.Ok(new LagView(measured.Group, measured.Topics, measured.Total, lost))
                : Results.Problem("Kafka did not answer in time.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Lag unknown");
        });
}
