using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Browsing;

/// <summary>A topic: its partitions' oldest and end offsets, how many records it holds now, and (in the topic list) its produce rate between samples.</summary>
public sealed record TopicView(string Name, long Messages, IReadOnlyList<PartitionOffsets> Partitions)
{
    public IReadOnlyList<Groups.RateSample> Produced { get; init; } = [];
}

/// <summary>One record: coordinates, key and headers as text (or labelled hex), and the value decoded through the registry.</summary>
public sealed record MessageView(int Partition, long Offset, DateTimeOffset Timestamp, string? Key, IReadOnlyList<KeyValuePair<string, string?>> Headers,
    int? SchemaId, JsonNode? Value, string? Undecodable, string? Raw);

/// <summary>A browse request (validated by <see cref="TopicBrowser.Problem"/>).</summary>
public sealed record BrowseRequest(string Topic, int? Partition, long? Offset, int Limit, string? Key);

/// <summary>Reads topics for the console: every topic's offsets, and a topic's records newest first or from an offset.</summary>
public sealed class TopicBrowser(KafkaClientFactory kafka, KafkaOffsets offsets, AvroJson avro)
{
    public const int MaxLimit = 500;

    /// <summary>With a key filter, how many of the newest records of each partition are searched.</summary>
    public const int KeySearchDepth = 5_000;

    /// <summary>Every topic, by name; null when Kafka does not answer in time.</summary>
    public async Task<IReadOnlyList<TopicView>?> ListAsync() =>
        await offsets.TopicsAsync() is { } topics ? [.. topics.Select(t => new TopicView(t.Name, t.Records, t.Partitions))] : null;

    /// <summary>What is wrong with a browse request against the topic as it is now, or null; the status code says whether the topic exists.</summary>
    public (int Status, string Detail)? Problem(BrowseRequest request, TopicView? topic)
    {
        if (topic is null)
        {
            return (StatusCodes.Status404NotFound, $"There is no topic \"{Shorten(request.Topic)}\".");
        }

        if (PageLimit.Check(request.Limit, MaxLimit) is { } invalid)
        {
            return (StatusCodes.Status400BadRequest, invalid);
        }

        if (request.Partition is { } partition && (partition < 0 || partition >= topic.Partitions.Count))
        {
            return (StatusCodes.Status400BadRequest, $"partition must be between 0 and {topic.Partitions.Count - 1} for {topic.Name} (got {partition}).");
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

    /// <summary>The records asked for: from the offset forward, or else the newest first.</summary>
    public async Task<IReadOnlyList<MessageView>> BrowseAsync(BrowseRequest request, TopicView topic, CancellationToken cancellation)
    {
        var partitions = topic.Partitions.Where(p => request.Partition is null || p.Partition == request.Partition).ToList();
        var depth = request.Key is null ? request.Limit : Math.Max(request.Limit, KeySearchDepth);
        var next = partitions.ToDictionary(p => new TopicPartition(topic.Name, p.Partition),
            p => request.Offset ?? Math.Max(p.Low, p.High - depth));
        var ends = partitions.ToDictionary(p => new TopicPartition(topic.Name, p.Partition),
            p => request.Offset is { } from ? Math.Min(p.High, from + depth) : p.High);
        var key = request.Key is null ? null : Encoding.UTF8.GetBytes(request.Key);
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        using var consumer = kafka.CreateConsumer<byte[]?, byte[]?>(kafka.ConsumerConfig("control-center-browser", "cryptoetl-control-center"));
        await consumer.ReadUntilAsync(next, ends, record =>
        {
            if (key is null || (record.Message.Key is { } k && k.AsSpan().SequenceEqual(key)))
            {
                records.Add(record);
            }

            return Task.CompletedTask;
        }, cancellation);
        consumer.Close();

        var chosen = request.Offset is null
            ? records.OrderByDescending(r => r.Message.Timestamp.UnixTimestampMs).ThenByDescending(r => r.Offset.Value).Take(request.Limit)
            : records.OrderBy(r => r.Offset.Value).Take(request.Limit);
        var views = new List<MessageView>();
        foreach (var record in chosen)
        {
            var (json, schemaId, problem) = await avro.DecodeAsync(record.Message.Value);
            views.Add(new MessageView(record.Partition.Value, record.Offset.Value, record.Message.Timestamp.UtcDateTime,
                PayloadPreview.Text(record.Message.Key),
                record.Message.Headers?.Select(h => KeyValuePair.Create(h.Key, PayloadPreview.Text(h.GetValueBytes()))).ToList() ?? [],
                schemaId, json, problem, problem is null ? null : PayloadPreview.Of(record.Message.Value)));
        }

        return views;
    }

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";
}
