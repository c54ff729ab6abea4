using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Replay;

/// <summary>Which dead letters to send back: a stage, a reason, or both (null: any).</summary>
public sealed record ReplayFilter(string? Stage, string? Reason, bool IncludeFailedReplays = false)
{
    /// <summary>
    /// The consumer group that remembers how far this filter has replayed. Including failed replays is a pass of its
    /// own: the first time, it starts from the oldest dead letter, so it may send again what a plain replay sent
    /// (harmless downstream: every id is deterministic).
    /// </summary>
    public string Group => $"cryptoetl-replay.{Stage ?? "any"}.{Reason ?? "any"}{(IncludeFailedReplays ? ".including-failed" : "")}";

    public bool Matches(DeadLetter letter) =>
        (Stage is null || letter.Stage == Stage) && (Reason is null || letter.Reason == Reason);

    public override string ToString() => $"stage {Stage ?? "any"}, reason {Reason ?? "any"}";
}

/// <summary>What a replay did, in counts.</summary>
public sealed record ReplayResult(int Replayed, int FailedAfterReplay, int NoSourceTopic, int Cut, int Undecodable, int Read, bool DryRun)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{(DryRun ? "Would replay" : "Replayed")} {Replayed} dead letter(s) of {Read} read; not replayed: {FailedAfterReplay} that failed again after an " +
        $"earlier replay (--include-failed-replays sends them), {NoSourceTopic} that never were Kafka records (ingest's API data), " +
        $"{Cut} cut to fit the dead-letter topic, {Undecodable} undecodable.");
}

/// <summary>
/// Sends dead letters back to the topic they came from, once their cause is fixed. Safe to repeat downstream: every
/// record has deterministic ids. Each sent record carries <see cref="ReplayHeader"/> ("crypto.deadletter/1@42": the dead
/// letter it came from); if it fails again, the stage dead-letters it again with that header, and a later replay leaves
/// it alone unless asked, so nothing loops. How far a filter has replayed is committed in its own consumer group, so a
/// second replay with the same filter sends only dead letters written since.
/// </summary>
public sealed class DeadLetterReplay(string bootstrapServers, ISchemaRegistryClient registry, ILogger logger)
{
    public const string ReplayHeader = "cryptoetl-replay-of";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<ReplayResult> ReplayAsync(ReplayFilter filter, bool dryRun, CancellationToken cancellation)
    {
        var decoder = new ContractDecoder<DeadLetter>(registry);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = filter.Group,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler(KafkaLogging.To(logger)).Build();
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
        }).SetLogHandler(KafkaLogging.To(logger)).Build();

        // Read up to where the topic ends now: what is dead-lettered during the replay waits for the next one.
        var ends = EndsNow(consumer);
        var next = consumer.Committed(ends.Keys, Timeout).ToDictionary(c => c.TopicPartition,
            c => c.Offset.IsSpecial ? consumer.QueryWatermarkOffsets(c.TopicPartition, Timeout).Low.Value : c.Offset.Value);
        consumer.Assign(next.Select(n => new TopicPartitionOffset(n.Key, n.Value)));
        int read = 0, replayed = 0, failedAgain = 0, noSource = 0, cut = 0, undecodable = 0;
        var deliveries = new List<Task>();
        while (next.Any(n => n.Value < ends[n.Key]))
        {
            cancellation.ThrowIfCancellationRequested();
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { IsPartitionEOF: false } record)
            {
                // Offsets with no record to read (the broker dropped old ones): the fetch position moves past them.
                foreach (var (partition, position) in ends.Keys.Select(p => (p, consumer.Position(p))).Where(p => !p.Item2.IsSpecial).ToList())
                {
                    next[partition] = Math.Max(next[partition], position.Value);
                }

                continue;
            }

            if (record.Offset.Value >= ends[record.TopicPartition])
            {
                continue;
            }

            next[record.TopicPartition] = record.Offset.Value + 1;
            read++;
            var decoded = await decoder.DecodeAsync(record.Message.Value, Topics.DeadLetter);
            if (!decoded.Success)
            {
                undecodable++;
                continue;
            }

            var letter = decoded.Value!;
            if (!filter.Matches(letter))
            {
                continue;
            }

            if (letter.SourceTopic is null)
            {
                noSource++;
            }
            else if (letter.Headers.Any(h => h.Key == DeadLetters.TruncatedHeader))
            {
                cut++;
            }
            else if (letter.Headers.Any(h => h.Key == ReplayHeader) && !filter.IncludeFailedReplays)
            {
                failedAgain++;
            }
            else
            {
                replayed++;
                if (!dryRun)
                {
                    deliveries.Add(producer.ProduceAsync(letter.SourceTopic, Replay(letter, record), cancellation));
                }
            }
        }

        await Task.WhenAll(deliveries);
        if (!dryRun && next.Count > 0)
        {
            consumer.Commit(next.Select(n => new TopicPartitionOffset(n.Key, n.Value)));
        }

        consumer.Close();
        return new ReplayResult(replayed, failedAgain, noSource, cut, undecodable, read, dryRun);
    }

    /// <summary>The failed record as it was (key, value, headers), marked as a replay of this dead letter.</summary>
    private static Message<byte[]?, byte[]?> Replay(DeadLetter letter, ConsumeResult<byte[]?, byte[]?> deadLetter)
    {
        var headers = new Headers();
        foreach (var header in letter.Headers.Where(h => h.Key != ReplayHeader))
        {
            headers.Add(header.Key, header.Value);
        }

        headers.Add(ReplayHeader, Encoding.UTF8.GetBytes($"{deadLetter.Topic}/{deadLetter.Partition.Value}@{deadLetter.Offset.Value}"));
        return new Message<byte[]?, byte[]?> { Key = letter.Key, Value = letter.Payload, Headers = headers };
    }

    private static Dictionary<TopicPartition, long> EndsNow(IConsumer<byte[]?, byte[]?> consumer)
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        return admin.GetMetadata(Topics.DeadLetter, Timeout).Topics.Single().Partitions
            .Select(p => new TopicPartition(Topics.DeadLetter, p.PartitionId))
            .ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(p, Timeout).High.Value);
    }
}
