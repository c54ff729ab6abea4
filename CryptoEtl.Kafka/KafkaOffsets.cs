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
/// benchmarks all use it, or <see cref="ConsumerLag.OfAssignment"/> for a consumer's own position. Its clients are built
/// from the service's Kafka settings (<see cref="KafkaConnection.Consumer"/>), so a secured cluster's settings apply.
/// A question that fails drops the client it used, so the next one starts afresh: a client kept across a broker that
/// came back empty stayed unable to answer (seen here for 15 minutes).
/// <para>
/// librdkafka 2.16 aborts the whole process (<c>rd_kafka_enq_once_del_source_return: Assertion `eonce->refcnt > 0'
/// failed</c>) when an admin request to a group coordinator times out before the coordinator is found and the
/// coordinator is found later while the client lives, as after a broker outage (KafkaOffsetsTests causes it). So
/// committed offsets are read by a client in the group (one per group asked about, which never joins it), not with
/// ListConsumerGroupOffsets; and DescribeConsumerGroups, which has no other road, runs without a librdkafka timeout on
/// a client of its own that is disposed when the question is given up (a pending request dies with its client safely).
/// </para>
/// </summary>
public sealed class KafkaOffsets : IDisposable
{
    public const string ProbeGroup = "cryptoetl-offsets-probe";

    private readonly ConsumerConfig _config;
    private readonly string _probeGroup;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly Dictionary<string, IConsumer<Ignore, Ignore>> _clients = new(StringComparer.Ordinal);
    private IAdminClient? _membersClient;

    /// <param name="config">The clients' settings; its group id names the client that asks about topics (it never joins).</param>
    public KafkaOffsets(ConsumerConfig config, TimeSpan? timeout = null)
    {
        _config = new ConsumerConfig(new Dictionary<string, string>(config)) { EnableAutoCommit = false };
        _probeGroup = config.GroupId ?? ProbeGroup;
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
    public Task<IReadOnlyList<PartitionLag>?> MeasurePartitionsAsync(string group, IEnumerable<string> topics) => WithClientAsync<IReadOnlyList<PartitionLag>>(group, (client, admin) =>
    {
        var partitions = topics.SelectMany(t => Partitions(admin, t)).ToList();
        var committed = client.Committed(partitions, _timeout);
        return [.. committed.OrderBy(c => c.Topic, StringComparer.Ordinal).ThenBy(c => c.Partition.Value).Select(c =>
        {
            var end = client.QueryWatermarkOffsets(c.TopicPartition, _timeout).High.Value;
            long? offset = c.Offset.IsSpecial ? null : c.Offset.Value;
            return new PartitionLag(c.Topic, c.Partition.Value, offset, end, end - (offset ?? 0));
        })];
    });

    /// <summary>Where each partition of the topic ends now (the offset its next record will get); null when Kafka does not answer in time.</summary>
    public Task<IReadOnlyDictionary<int, long>?> EndsAsync(string topic) => WithClientAsync<IReadOnlyDictionary<int, long>>(_probeGroup, (probe, admin) =>
        Partitions(admin, topic).ToDictionary(p => p.Partition.Value, p => probe.QueryWatermarkOffsets(p, _timeout).High.Value));

    /// <summary>
    /// Every topic but Kafka's own (<c>__</c>), by name, with its partitions' offsets, or only the one named (none when it
    /// does not exist: the question creates no topic); null when Kafka does not answer in time.
    /// </summary>
    public Task<IReadOnlyList<TopicOffsets>?> TopicsAsync(string? only = null) => WithClientAsync<IReadOnlyList<TopicOffsets>>(_probeGroup, (probe, admin) =>
        [.. (only is null ? admin.GetMetadata(_timeout) : admin.GetMetadata(only, _timeout)).Topics
            .Where(t => !t.Topic.StartsWith("__", StringComparison.Ordinal) && t.Error.Code == ErrorCode.NoError)
            .OrderBy(t => t.Topic, StringComparer.Ordinal)
            .Select(t => new TopicOffsets(t.Topic, [.. t.Partitions.OrderBy(p => p.PartitionId).Select(p =>
            {
                var offsets = probe.QueryWatermarkOffsets(new TopicPartition(t.Topic, p.PartitionId), _timeout);
                return new PartitionOffsets(p.PartitionId, offsets.Low.Value, offsets.High.Value);
            })]))]);

    /// <summary>
    /// The members of each group; null when Kafka does not answer in time. A broker that cannot describe groups
    /// (librdkafka's embedded one) throws, with its error. The question has its own client and no librdkafka timeout:
    /// it is given up here, with its client (see the remarks on the class).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<GroupMember>>?> MembersAsync(IEnumerable<string> groups)
    {
        await _one.WaitAsync();
        try
        {
            _membersClient ??= new AdminClientBuilder(new AdminClientConfig(new Dictionary<string, string>(_config))).SetLogHandler((_, _) => { }).Build();
            var question = _membersClient.DescribeConsumerGroupsAsync(groups, new DescribeConsumerGroupsOptions { RequestTimeout = TimeSpan.FromHours(1) });
            var described = await question.WaitAsync(_timeout);
            return described.ConsumerGroupDescriptions.ToDictionary(d => d.GroupId, d => (IReadOnlyList<GroupMember>)[.. d.Members.Select(m =>
                new GroupMember(m.ClientId, m.Host, [.. m.Assignment.TopicPartitions.Select(p => $"{p.Topic}/{p.Partition.Value}")]))]);
        }
        catch (Exception e) when (e is TimeoutException || e is KafkaException { Error.Code: ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown })
        {
            _membersClient?.Dispose();
            _membersClient = null;
            return null;
        }
        finally
        {
            _one.Release();
        }
    }

    private IEnumerable<TopicPartition> Partitions(IAdminClient admin, string topic) =>
        admin.GetMetadata(topic, _timeout).Topics.Single().Partitions.Select(p => new TopicPartition(topic, p.PartitionId));

    /// <summary>
    /// One question at a time, on the client of the group named (a consumer of that group that never joins it); one
    /// that fails drops the client, so the next starts afresh.
    /// </summary>
    private async Task<T?> WithClientAsync<T>(string group, Func<IConsumer<Ignore, Ignore>, IAdminClient, T> ask)
        where T : class
    {
        await _one.WaitAsync();
        IConsumer<Ignore, Ignore>? client = null;
        try
        {
            if (!_clients.TryGetValue(group, out client))
            {
                client = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig(new Dictionary<string, string>(_config)) { GroupId = group })
                    .SetLogHandler((_, _) => { }).Build();
                _clients[group] = client;
            }

            using var admin = new DependentAdminClientBuilder(client.Handle).Build();
            return ask(client, admin);
        }
        catch (KafkaException)
        {
            client?.Dispose();
            _clients.Remove(group);
            return null;
        }
        finally
        {
            _one.Release();
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        _clients.Clear();
        _membersClient?.Dispose();
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
