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
public sealed partial class ConsumerGroupMonitor(KafkaOffsets offsets, IOptions<ControlCenterOptions> options, TimeProvider clock,
    ILogger<ConsumerGroupMonitor> logger) : BackgroundService
{
    private readonly SampleHistory<LagSample> _history = new(s => s.At, options.Value.LagHistory);
    private readonly SampleHistory<ProducedSample> _produced = new(s => s.At, options.Value.LagHistory);

    public async Task<IReadOnlyList<GroupView>> DescribeAsync(CancellationToken cancellation)
    {
        var members = await MembersAsync(options.Value.Groups.Keys);
        var views = new List<GroupView>();
        foreach (var (group, topics) in options.Value.Groups)
        {
            cancellation.ThrowIfCancellationRequested();
            var partitions = await offsets.MeasurePartitionsAsync(group, topics);
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
                if (await offsets.MeasureAsync(group, topics) is { } measured)
                {
                    _history.Record(group, new LagSample(clock.GetUtcNow(), measured.Total));
                }
            }

            await SampleTopicsAsync();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Records produced per second into a topic, between consecutive samples of its end offsets (oldest first).</summary>
    public IReadOnlyList<RateSample> ProducedPerSecond(string topic) => Rates(_produced.Of(topic));

    private static List<RateSample> Rates(List<ProducedSample> samples) =>
        [.. samples.Zip(samples.Skip(1), (a, b) => new RateSample(b.At, (b.At - a.At).TotalSeconds, Math.Max(0, b.End - a.End) / (b.At - a.At).TotalSeconds))];

    private async Task SampleTopicsAsync()
    {
        var at = clock.GetUtcNow();
        if (await offsets.TopicsAsync() is not { } topics)
        {
            TopicsUnavailable(logger); // the next sample tries again
            return;
        }

        foreach (var topic in topics)
        {
            _produced.Record(topic.Name, new ProducedSample(at, topic.Written));
        }
    }

    /// <summary>Members per group; librdkafka's embedded broker cannot describe groups, and then each group says so.</summary>
    private async Task<Dictionary<string, (IReadOnlyList<GroupMember>?, string?)>> MembersAsync(IEnumerable<string> groups)
    {
        try
        {
            return await offsets.MembersAsync(groups) is { } members
                ? members.ToDictionary(m => m.Key, m => ((IReadOnlyList<GroupMember>?)m.Value, (string?)null))
                : groups.ToDictionary(g => g, _ => ((IReadOnlyList<GroupMember>?)null, (string?)"Kafka did not answer in time"));
        }
        catch (KafkaException e)
        {
            MembersUnavailable(logger, e.Error.Reason);
            return groups.ToDictionary(g => g, _ => ((IReadOnlyList<GroupMember>?)null, (string?)$"the broker does not describe groups (Kafka error {e.Error.Code})"));
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Consumer group members unavailable: {Reason}")]
    private static partial void MembersUnavailable(ILogger logger, string reason);

    [LoggerMessage(2, LogLevel.Warning, "Topic end offsets unavailable for the produce rates: Kafka did not answer in time")]
    private static partial void TopicsUnavailable(ILogger logger);
}
