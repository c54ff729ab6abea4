using Confluent.Kafka;
using Confluent.Kafka.Admin;
using CryptoEtl.ControlCenter.Browsing;
using CryptoEtl.ControlCenter.Sampling;
using CryptoEtl.Kafka;
using Microsoft.Extensions.Options;

namespace CryptoEtl.ControlCenter.Groups;

public sealed record LagSample(DateTimeOffset At, long Lag);

/// <summary>A topic's end offsets (summed over its partitions) at a moment.</summary>
public sealed record ProducedSample(DateTimeOffset At, long End);

/// <summary>Records produced per second into a topic during the <see cref="Seconds"/> that ended at <see cref="At"/>.</summary>
public sealed record RateSample(DateTimeOffset At, double Seconds, double PerSecond);

public sealed record GroupMember(string ClientId, string Host, IReadOnlyList<string> Assignment);

/// <summary>
/// A consumer group as the console shows it: its members (when the broker describes groups), each partition's committed
/// offset, end and lag (null when Kafka does not answer), and its total lag over the last minutes.
/// </summary>
public sealed record GroupView(string Group, IReadOnlyList<string> Topics, IReadOnlyList<GroupMember>? Members, string? MembersUnavailable,
    IReadOnlyList<PartitionLag>? Partitions, long? Lag, IReadOnlyList<LagSample> History);

/// <summary>
/// Samples the watched groups' lag and every topic's end offsets in the background (for the charts: lag, and records
/// produced per second), and describes a group on request.
/// </summary>
public sealed partial class ConsumerGroupMonitor(IConfiguration configuration, IOptions<ConsumerGroupsOptions> options, TopicBrowser topicBrowser, TimeProvider clock,
    ILogger<ConsumerGroupMonitor> logger) : BackgroundService
{
    private readonly ConsumerGroupLag _lag = new(KafkaConnection.BootstrapServers(configuration));
    private readonly SampleHistory<LagSample> _history = new(s => s.At, options.Value.LagHistory);
    private readonly SampleHistory<ProducedSample> _produced = new(s => s.At, options.Value.LagHistory);
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
            views.Add(new GroupView(group, topics, groupMembers, unavailable, partitions, partitions?.Sum(p => p.Lag), _history.Of(group)));
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
                    _history.Record(group, new LagSample(clock.GetUtcNow(), measured.Total));
                }
            }

            SampleTopics();
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

    /// <summary>Records produced per second into a topic, between consecutive samples of its end offsets (oldest first).</summary>
    public IReadOnlyList<RateSample> ProducedPerSecond(string topic) => Rates(_produced.Of(topic));

    private static List<RateSample> Rates(List<ProducedSample> samples) =>
        [.. samples.Zip(samples.Skip(1), (a, b) => new RateSample(b.At, (b.At - a.At).TotalSeconds, Math.Max(0, b.End - a.End) / (b.At - a.At).TotalSeconds))];

    private void SampleTopics()
    {
        try
        {
            var at = clock.GetUtcNow();
            foreach (var topic in topicBrowser.List())
            {
                _produced.Record(topic.Name, new ProducedSample(at, topic.Partitions.Sum(p => p.High)));
            }
        }
        catch (KafkaException e)
        {
            TopicsUnavailable(logger, e.Error.Reason); // the next sample tries again
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

    [LoggerMessage(2, LogLevel.Warning, "Topic end offsets unavailable for the produce rates: {Reason}")]
    private static partial void TopicsUnavailable(ILogger logger, string reason);
}
