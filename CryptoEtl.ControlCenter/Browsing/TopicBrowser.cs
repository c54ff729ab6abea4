using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using CryptoEtl.ControlCenter.Groups;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Browsing;

/// <summary>A topic: its partitions' oldest and end offsets, how many records it holds now, and (in the topic list) its produce rate between samples.</summary>
public sealed record TopicView(string Name, long Messages, IReadOnlyList<PartitionOffsets> Partitions)
{
    public IReadOnlyList<Groups.RateSample> Produced { get; init; } = [];
}

/// <summary>
/// One record: coordinates, key and headers as text (or labelled hex), the value decoded through the registry, and a
/// <c>kcat</c> command that prints it.
/// </summary>
public sealed record MessageView(int Partition, long Offset, DateTimeOffset Timestamp, string? Key, IReadOnlyList<KeyValuePair<string, string?>> Headers,
    int? SchemaId, JsonNode? Value, string? Undecodable, string? Raw, string Kcat);

/// <summary>A browse request (validated by <see cref="TopicBrowser.Problem"/>): from an offset, from a time, or the newest; by key and by a filter on the value.</summary>
public sealed record BrowseRequest(string Topic, int? Partition, long? Offset, int Limit, string? Key, DateTimeOffset? From = null, RecordFilter? Filter = null);

/// <summary>The records found, and how many were read to find them (a key or a filter searches at most <see cref="TopicBrowser.SearchDepth"/> a partition).</summary>
public sealed record BrowseResult(IReadOnlyList<MessageView> Records, long Scanned);

/// <summary>Reads topics for the console: every topic's offsets, and a topic's records newest first or from an offset.</summary>
public sealed class TopicBrowser(KafkaClientFactory kafka, KafkaOffsets offsets, AvroJson avro)
{
    public const int MaxLimit = 500;

    /// <summary>With a key or a filter, how many records of each partition are searched (the newest, or from the offset or time).</summary>
    public const int SearchDepth = 5_000;

    /// <summary>Every topic with its produce rates over the last minutes (the monitor's samples); null when Kafka does not answer in time.</summary>
    public async Task<IReadOnlyList<TopicView>?> ListWithRatesAsync(ConsumerGroupMonitor monitor) =>
        await ListAsync() is { } topics ? [.. topics.Select(t => t with { Produced = monitor.ProducedPerSecond(t.Name) })] : null;

    /// <summary>Every topic (or only the one named, when it exists), by name; null when Kafka does not answer in time.</summary>
    public async Task<IReadOnlyList<TopicView>?> ListAsync(string? only = null) =>
        await offsets.TopicsAsync(only) is { } topics ? [.. topics.Select(t => new TopicView(t.Name, t.Records, t.Partitions))] : null;

    /// <summary>What is wrong with a browse request against the topic as it is now, or null; the status code says whether the topic exists.</summary>
    public (int Status, string Detail)? Problem(BrowseRequest request, TopicView? topic)
    {
        if (topic is null)
        {
            return (StatusCodes.Status404NotFound, UnknownTopic(request.Topic));
        }

        if (PageLimit.Check(request.Limit, MaxLimit) is { } invalid)
        {
            return (StatusCodes.Status400BadRequest, invalid);
        }

        if (request.Partition is { } partition && (partition < 0 || partition >= topic.Partitions.Count))
        {
            return (StatusCodes.Status400BadRequest, $"partition must be between 0 and {topic.Partitions.Count - 1} for {topic.Name} (got {partition}).");
        }

        if (request.Offset is not null && request.From is not null)
        {
            return (StatusCodes.Status400BadRequest, "give an offset or a time (from), not both.");
        }

        if (request.Offset is { } offset)
        {
            if (request.Partition is null)
            {
                return (StatusCodes.Status400BadRequest, "offset needs a partition: offsets count per partition.");
            }

            var range = topic.Partitions[request.Partition.Value];
            if (offset < range.Low || offset > range.High)
            {
                return (StatusCodes.Status400BadRequest, $"offset must be between {range.Low} and {range.High} for partition {range.Partition} (got {offset}).");
            }
        }

        return null;
    }

    /// <summary>The records asked for: from the offset or the time forward, or else the newest first.</summary>
    public async Task<BrowseResult> BrowseAsync(BrowseRequest request, TopicView topic, CancellationToken cancellation)
    {
        var partitions = topic.Partitions.Where(p => request.Partition is null || p.Partition == request.Partition).ToDictionary(p => new TopicPartition(topic.Name, p.Partition));
        var depth = request.Key is null && request.Filter is null ? request.Limit : Math.Max(request.Limit, SearchDepth);
        using var consumer = kafka.CreateConsumer<byte[]?, byte[]?>(kafka.ConsumerConfig("control-center-browser", "cryptoetl-control-center"));
        var forward = request.Offset is not null || request.From is not null;
        var fromTime = request.From is { } from ? consumer.OffsetsAt(partitions.Keys, from, SeekTimeout) : null;
        var next = partitions.ToDictionary(p => p.Key, p => request switch
        {
            { Offset: { } offset } => offset,
            { From: not null } => fromTime![p.Key],
            _ => Math.Max(p.Value.Low, p.Value.High - depth),
        });
        var ends = partitions.ToDictionary(p => p.Key, p => forward ? Math.Min(p.Value.High, next[p.Key] + depth) : p.Value.High);
        var key = request.Key is null ? null : Encoding.UTF8.GetBytes(request.Key);
        // Values are decoded while reading only when a filter needs them; otherwise only those shown are.
        var found = new List<(ConsumeResult<byte[]?, byte[]?> Record, (JsonNode? Json, int? SchemaId, string? Problem)? Value)>();
        long scanned = 0;
        await consumer.ReadUntilAsync(next, ends, async record =>
        {
            scanned++;
            if (key is not null && (record.Message.Key is not { } k || !k.AsSpan().SequenceEqual(key)))
            {
                return;
            }

            if (request.Filter is null)
            {
                found.Add((record, null));
            }
            else if (await avro.DecodeAsync(record.Message.Value) is var value && request.Filter.Matches(value.Json))
            {
                found.Add((record, value));
            }
        }, cancellation);
        consumer.Close();

        var chosen = request switch
        {
            { Offset: not null } => found.OrderBy(r => r.Record.Offset.Value),
            { From: not null } => found.OrderBy(r => r.Record.Message.Timestamp.UnixTimestampMs).ThenBy(r => r.Record.Partition.Value).ThenBy(r => r.Record.Offset.Value),
            _ => found.OrderByDescending(r => r.Record.Message.Timestamp.UnixTimestampMs).ThenByDescending(r => r.Record.Offset.Value),
        };
        var views = new List<MessageView>();
        foreach (var (record, decoded) in chosen.Take(request.Limit))
        {
            var (json, schemaId, problem) = decoded ?? await avro.DecodeAsync(record.Message.Value);
            views.Add(new MessageView(record.Partition.Value, record.Offset.Value, record.Message.Timestamp.UtcDateTime, PayloadPreview.Text(record.Message.Key),
                record.Message.Headers?.Select(h => KeyValuePair.Create(h.Key, PayloadPreview.Text(h.GetValueBytes()))).ToList() ?? [],
                schemaId, json, problem, problem is null ? null : PayloadPreview.Of(record.Message.Value),
                KcatCommand.Print(kafka.BootstrapServers, topic.Name, record.Partition.Value, record.Offset.Value)));
        }

        return new BrowseResult(views, scanned);
    }

    private static readonly TimeSpan SeekTimeout = TimeSpan.FromSeconds(10);

    public static string UnknownTopic(string topic) => $"There is no topic \"{Echo.Cut(topic)}\".";
}
