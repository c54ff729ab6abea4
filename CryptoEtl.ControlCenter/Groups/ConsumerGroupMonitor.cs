using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using CryptoEtl.Kafka;
using Microsoft.Extensions.Options;

namespace CryptoEtl.ControlCenter.Groups;

public sealed record LagSample(DateTimeOffset At, long Lag);

public sealed record GroupMember(string ClientId, string Host, IReadOnlyList<string> Assignment);

/// <summary>
/// A consumer group as the console shows it: its members (when the broker describes groups), each partition's committed
/// offset, end and lag (null when Kafka does not answer), and its total lag over the last minutes.
/// </summary>
public sealed record GroupView(string Group, IReadOnlyList<string> Topics, IReadOnlyList<GroupMember>? Members, string? MembersUnavailable,
    IReadOnlyList<PartitionLag>? Partitions, long? Lag, IReadOnlyList<LagSample> History);

/// <summary>Samples the watched groups' lag in the background (for the chart) and describes a group on request.</summary>
public sealed partial class ConsumerGroupMonitor(IConfiguration configuration, IOptions<ConsumerGroupsOptions> options, TimeProvider clock,
    ILogger<ConsumerGroupMonitor> logger) : BackgroundService
{
    private readonly ConsumerGroupLag _lag = new(KafkaConnection.BootstrapServers(configuration));
    private readonly ConcurrentDictionary<string, Queue<LagSample>> _history = new(StringComparer.Ordinal);
    private readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = KafkaConnection.BootstrapServers(configuration) })
        .SetLogHandler((_, _) => { }).Build());

    public async Task<IReadOnlyList<GroupView>> DescribeAsync(CancellationToken cancellation)
    {
        var members = await MembersAsync(options.Value.Groups.Keys, cancellation);
        var views = new List<GroupView>();
        foreach (var (group, topics) in options.Value.Groups)
        {
            var partitions = await _lag.MeasurePartitionsAsync(group, topics);
            var (groupMembers, unavailable) = members.TryGetValue(group, out var found) ? found : (null, "not described");
            views.Add(new GroupView(group, topics, groupMembers, unavailable, partitions, partitions?.Sum(p => p.Lag), History(group)));
        }

        return views;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LagSampleInterval, clock);
        do
        {
            foreach (var (group, topics) in options.Value.Groups)
            {
                if (await _lag.MeasureAsync(group, topics) is { } measured)
                {
                    Record(group, new LagSample(clock.GetUtcNow(), measured.Total));
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override void Dispose()
    {
        _lag.Dispose();
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }

        base.Dispose();
    }

    private void Record(string group, LagSample sample)
    {
        var samples = _history.GetOrAdd(group, _ => new Queue<LagSample>());
        lock (samples)
        {
            samples.Enqueue(sample);
            while (samples.Count > 0 && samples.Peek().At < sample.At - options.Value.LagHistory)
            {
                samples.Dequeue();
            }
        }
    }

    private List<LagSample> History(string group)
    {
        if (!_history.TryGetValue(group, out var samples))
        {
            return [];
        }

        lock (samples)
        {
            return [.. samples];
        }
    }

    /// <summary>Members per group; librdkafka's embedded broker cannot describe groups, and then each group says so.</summary>
    private async Task<Dictionary<string, (IReadOnlyList<GroupMember>?, string?)>> MembersAsync(IEnumerable<string> groups, CancellationToken cancellation)
    {
        try
        {
            var described = await _admin.Value.DescribeConsumerGroupsAsync(groups, new DescribeConsumerGroupsOptions { RequestTimeout = TimeSpan.FromSeconds(5) }).WaitAsync(cancellation);
            return described.ConsumerGroupDescriptions.ToDictionary(d => d.GroupId, d => ((IReadOnlyList<GroupMember>?)[.. d.Members.Select(m =>
                new GroupMember(m.ClientId, m.Host, [.. m.Assignment.TopicPartitions.Select(p => $"{p.Topic}/{p.Partition.Value}")]))], (string?)null));
        }
        catch (KafkaException e)
        {
            MembersUnavailable(logger, e.Error.Reason);
            return groups.ToDictionary(g => g, _ => ((IReadOnlyList<GroupMember>?)null, (string?)$"the broker does not describe groups (Kafka error {e.Error.Code})"));
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Consumer group members unavailable: {Reason}")]
    private static partial void MembersUnavailable(ILogger logger, string reason);
}
