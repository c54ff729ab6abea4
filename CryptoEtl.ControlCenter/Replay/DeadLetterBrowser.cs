using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.ControlCenter.Browsing;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Replay;

public sealed record DeadLetterGroup(string Stage, string Reason, int Count, DateTimeOffset Newest);

/// <summary>One dead letter as the page shows it: where it came from, why, and a preview of what failed.</summary>
public sealed record DeadLetterView(int Partition, long Offset, string Stage, string Reason, string? Error, string? Source, DateTimeOffset FailedAt, bool FailedAfterReplay, string Preview);

/// <summary>The dead-letter topic at a glance: <paramref name="Read"/> of <paramref name="Total"/> records (the newest ones) grouped by stage and reason.</summary>
public sealed record DeadLetterSummary(long Total, int Read, IReadOnlyList<DeadLetterGroup> Groups, IReadOnlyList<DeadLetterView> Newest);

/// <summary>Reads the newest dead letters for the console: counts by stage and reason, and the newest records.</summary>
public sealed class DeadLetterBrowser(KafkaClientFactory kafka, ISchemaRegistryClient registry)
{
    /// <summary>How many of the newest records of each partition are read.</summary>
    public const int PerPartition = 5_000;

    private const int NewestShown = 50;

    public async Task<DeadLetterSummary> SummarizeAsync(CancellationToken cancellation)
    {
        using var consumer = kafka.CreateConsumer<byte[]?, byte[]?>(kafka.ConsumerConfig("control-center-deadletters", "cryptoetl-control-center"));
        var decoder = new ContractDecoder<DeadLetter>(registry);
        var ends = consumer.EndsNow(Topics.DeadLetter);
        var next = ends.ToDictionary(e => e.Key, e => Math.Max(consumer.Oldest(e.Key), e.Value - PerPartition));
        var total = ends.Sum(e => e.Value - consumer.Oldest(e.Key));
        var letters = new List<DeadLetterView>();
        await consumer.ReadUntilAsync(next, ends, async record =>
        {
            var decoded = await decoder.DecodeAsync(record.Message.Value, Topics.DeadLetter);
            letters.Add(decoded.Success
                ? View(record, decoded.Value!)
                : new DeadLetterView(record.Partition.Value, record.Offset.Value, "?", "undecodable dead letter", decoded.Error, null, record.Message.Timestamp.UtcDateTime, false, PayloadPreview.Of(record.Message.Value)));
        }, cancellation);
        consumer.Close();

        var groups = letters.GroupBy(l => (l.Stage, l.Reason))
            .Select(g => new DeadLetterGroup(g.Key.Stage, g.Key.Reason, g.Count(), g.Max(l => l.FailedAt)))
            .OrderByDescending(g => g.Count).ToList();
        return new DeadLetterSummary(total, letters.Count, groups, [.. letters.OrderByDescending(l => l.FailedAt).Take(NewestShown)]);
    }

    private static DeadLetterView View(ConsumeResult<byte[]?, byte[]?> record, DeadLetter letter) => new(
        record.Partition.Value, record.Offset.Value, letter.Stage, letter.Reason, letter.Error,
        letter.SourceTopic is null ? null : $"{letter.SourceTopic}/{letter.SourcePartition}@{letter.SourceOffset}",
        letter.FailedAt, letter.Headers.Any(h => h.Key == DeadLetterReplay.ReplayHeader), PayloadPreview.Of(letter.Payload));
}
