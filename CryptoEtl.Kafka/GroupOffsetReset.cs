using Confluent.Kafka;

namespace CryptoEtl.Kafka;

/// <summary>Where a reset moves a group: as <c>kafka-consumer-groups --reset-offsets --to-earliest|--to-latest|--to-datetime|--to-offset</c>.</summary>
public enum ResetTarget
{
    Earliest,
    Latest,
    Timestamp,
    Offset,
}

/// <summary>A reset of one group's offsets on one topic: all its partitions or those named.</summary>
public sealed record OffsetResetRequest(string Group, string Topic, IReadOnlyList<int>? Partitions, ResetTarget To, DateTimeOffset? Timestamp = null, long? Offset = null)
{
    /// <summary>What is wrong with the request itself (before Kafka is asked), or null.</summary>
    public string? Problem() => (To, Timestamp, Offset) switch
    {
        _ when string.IsNullOrWhiteSpace(Group) || Group.Length > 249 => "group must be a name of 1 to 249 characters.",
        _ when string.IsNullOrWhiteSpace(Topic) || Topic.Length > 249 => "topic must be a name of 1 to 249 characters.",
        (ResetTarget.Timestamp, null, _) => "a reset to a timestamp needs the timestamp (ISO 8601, e.g. 2026-12-07T10:00:00Z).",
        (ResetTarget.Offset, _, null) => "a reset to an offset needs the offset.",
        (ResetTarget.Offset, _, < 0) => $"offset must be 0 or more (got {Offset}).",
        _ when Partitions is { Count: 0 } => "partitions, when given, must name at least one partition.",
        _ => null,
    };
}

/// <summary>One partition of a reset: the group's committed offset before (null: none), the new one, the end, and the lag before and after.</summary>
public sealed record PartitionReset(int Partition, long? Committed, long NewOffset, long Low, long End, long LagBefore, long LagAfter);

/// <summary>
/// What a reset did or would do (<see cref="Applied"/> false for a dry run or a refusal); <see cref="Refused"/> says why
/// Kafka refused it.
/// </summary>
public sealed record OffsetResetResult(string Group, string Topic, bool Applied, IReadOnlyList<PartitionReset> Partitions, string? Refused)
{
    public long LagBefore => Partitions.Sum(p => p.LagBefore);

    public long LagAfter => Partitions.Sum(p => p.LagAfter);
}

/// <summary>A request the reset cannot carry out as asked (unknown topic or partition, an offset outside a partition).</summary>
public sealed class OffsetResetException(string message, bool unknownTopic = false) : Exception(message)
{
    public bool UnknownTopic { get; } = unknownTopic;
}

/// <summary>
/// Resets a consumer group's committed offsets, as <c>kafka-consumer-groups --reset-offsets</c> does: only while the
/// group has no active members, who would overwrite the offsets at their next commit. Where the broker describes groups,
/// a group with members is refused before anything else (a dry run too), and the commit is the one a group without
/// members accepts, from a client that never joins. librdkafka's embedded broker cannot describe groups and refuses that
/// commit (UNKNOWN_MEMBER_ID) for any group that ever had members; there the reset joins the group and commits as its
/// member when it is given every partition of the reset, and is refused when it is not (others hold some): a live group
/// sees one short rebalance. A dry run computes the same and commits nothing.
/// </summary>
public sealed class GroupOffsetReset(KafkaClientFactory kafka, KafkaOffsets offsets)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a reset that joins the group waits to be given partitions.</summary>
    private static readonly TimeSpan JoinPatience = TimeSpan.FromSeconds(20);

    /// <summary>How long a reset that joined the group waits for more partitions after its first assignment.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    /// <exception cref="OffsetResetException">The topic, a partition or the offset does not fit the topic as it is.</exception>
    /// <exception cref="KafkaException">Kafka did not answer.</exception>
    public async Task<OffsetResetResult> ResetAsync(OffsetResetRequest request, bool dryRun, CancellationToken cancellation)
    {
        var plan = await Task.Run(() => Plan(request, cancellation), cancellation);
        var members = await MembersAsync(request.Group);
        if (members is > 0)
        {
            return Result(false, $"the group {request.Group} has {members} active member(s): stop its consumers, then reset.");
        }

        if (dryRun)
        {
            return Result(false, null);
        }

        var offsetsToCommit = plan.Select(p => new TopicPartitionOffset(request.Topic, p.Partition, p.NewOffset)).ToList();
        var refusal = await Task.Run(() => CommitFromOutside(request.Group, offsetsToCommit), cancellation);
        if (refusal is not null && members is null)
        {
            refusal = await Task.Run(() => CommitAsMember(request.Group, request.Topic, offsetsToCommit, cancellation), cancellation);
        }

        return refusal is null ? Result(true, null) : Result(false, $"the group {request.Group} has active members ({refusal}): stop its consumers, then reset.");

        OffsetResetResult Result(bool applied, string? refused) => new(request.Group, request.Topic, applied, plan, refused);
    }

    private List<PartitionReset> Plan(OffsetResetRequest request, CancellationToken cancellation)
    {
        using var client = kafka.CreateConsumer<Ignore, Ignore>(kafka.ConsumerConfig("control-center-offsets", request.Group));
        var partitions = PartitionsOf(client, request);
        var committed = client.Committed(partitions, Timeout).ToDictionary(c => c.Partition.Value, c => c.Offset.IsSpecial ? (long?)null : c.Offset.Value);
        var atTime = request.To == ResetTarget.Timestamp ? client.OffsetsAt(partitions, request.Timestamp!.Value, Timeout) : null;
        var plan = new List<PartitionReset>();
        foreach (var partition in partitions)
        {
            cancellation.ThrowIfCancellationRequested();
            var watermarks = client.QueryWatermarkOffsets(partition, Timeout);
            var (low, end) = (watermarks.Low.Value, watermarks.High.Value);
            var target = request.To switch
            {
                ResetTarget.Earliest => low,
                ResetTarget.Latest => end,
                ResetTarget.Timestamp => atTime![partition],
                _ => request.Offset!.Value >= low && request.Offset <= end ? request.Offset.Value
                    : throw new OffsetResetException($"offset must be between {low} and {end} for partition {partition.Partition.Value} (got {request.Offset})."),
            };
            var before = committed[partition.Partition.Value];
            plan.Add(new PartitionReset(partition.Partition.Value, before, target, low, end, end - Math.Max(before ?? low, low), end - target));
        }

        return plan;
    }

    /// <summary>The group's active members; null when the broker cannot say (it does not describe groups, or did not answer).</summary>
    private async Task<int?> MembersAsync(string group)
    {
        try
        {
            return await offsets.MembersAsync([group]) is { } described && described.TryGetValue(group, out var members) ? members.Count : null;
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    /// <summary>Commits as a client that never joins the group; the broker's refusal, or null when it took the offsets.</summary>
    private string? CommitFromOutside(string group, List<TopicPartitionOffset> offsetsToCommit)
    {
        using var client = kafka.CreateConsumer<Ignore, Ignore>(kafka.ConsumerConfig("control-center-offsets", group));
        try
        {
            client.Commit(offsetsToCommit);
            return null;
        }
        catch (KafkaException e) when (Refusal(e) is { } refusal)
        {
            return refusal;
        }
    }

    /// <summary>Joins the group and commits as its member if given every partition of the reset; else leaves it untouched.</summary>
    private string? CommitAsMember(string group, string topic, List<TopicPartitionOffset> offsetsToCommit, CancellationToken cancellation)
    {
        DateTime? joined = null;
        using var member = kafka.CreateConsumer<Ignore, Ignore>(kafka.ConsumerConfig("control-center-offsets", group),
            builder => builder.SetPartitionsAssignedHandler((_, _) => joined ??= DateTime.UtcNow)); // called once a generation is joined, with no partitions too
        member.Subscribe(topic);
        var deadline = DateTime.UtcNow + JoinPatience;
        var wanted = offsetsToCommit.Select(o => o.TopicPartition).ToHashSet();
        // Given everything at once in a group without members; given some or none (cooperative: more may follow in the
        // next generation, soon after) while others are members.
        while (!wanted.IsSubsetOf(member.Assignment) && DateTime.UtcNow < deadline && (joined is null || DateTime.UtcNow - joined < Settle))
        {
            cancellation.ThrowIfCancellationRequested();
            member.Consume(TimeSpan.FromMilliseconds(100));
        }

        try
        {
            if (!wanted.IsSubsetOf(member.Assignment))
            {
                return $"other members hold {wanted.Count - wanted.Count(member.Assignment.Contains)} of its {wanted.Count} partition(s) of {topic}";
            }

            member.Commit(offsetsToCommit);
            return null;
        }
        catch (KafkaException e) when (Refusal(e) is { } refusal)
        {
            return refusal;
        }
        finally
        {
            member.Close();
        }
    }

    private static List<TopicPartition> PartitionsOf(IConsumer<Ignore, Ignore> client, OffsetResetRequest request)
    {
        using var admin = new DependentAdminClientBuilder(client.Handle).Build();
        var topic = admin.GetMetadata(request.Topic, Timeout).Topics.SingleOrDefault(t => t.Topic == request.Topic);
        if (topic is null || topic.Error.Code != ErrorCode.NoError || topic.Partitions.Count == 0)
        {
            throw new OffsetResetException($"There is no topic \"{request.Topic}\".", unknownTopic: true);
        }

        var count = topic.Partitions.Count;
        if (request.Partitions?.Where(p => p < 0 || p >= count).ToList() is [var bad, ..])
        {
            throw new OffsetResetException($"partition must be between 0 and {count - 1} for {request.Topic} (got {bad}).");
        }

        return [.. (request.Partitions ?? [.. Enumerable.Range(0, count)]).Distinct().Order().Select(p => new TopicPartition(request.Topic, p))];
    }

    /// <summary>The broker's refusal of a commit from outside a group that has members, or null for any other failure.</summary>
    private static string? Refusal(KafkaException e)
    {
        var codes = e is TopicPartitionOffsetException partitions ? partitions.Results.Select(r => r.Error.Code).Append(e.Error.Code) : [e.Error.Code];
        return codes.FirstOrDefault(c => c is ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration or ErrorCode.RebalanceInProgress) is var code and not ErrorCode.NoError
            ? code.ToString() : null;
    }
}
