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
public sealed class DeadLetterReplay(KafkaClientFactory kafka, ISchemaRegistryClient registry)
{
    public const string ReplayHeader = "cryptoetl-replay-of";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>Replays unless another replay of this instance is running (then null): two at once could send a record twice.</summary>
    public async Task<ReplayResult?> TryReplayAsync(ReplayFilter filter, bool dryRun, CancellationToken cancellation)
    {
        if (!await _one.WaitAsync(0, cancellation))
        {
            return null;
        }

        try
        {
            return await ReplayAsync(filter, dryRun, cancellation);
        }
        finally
        {
            _one.Release();
        }
    }

    public async Task<ReplayResult> ReplayAsync(ReplayFilter filter, bool dryRun, CancellationToken cancellation)
    {
        var decoder = new ContractDecoder<DeadLetter>(registry);
        using var consumer = kafka.CreateConsumer<byte[]?, byte[]?>(kafka.ConsumerConfig("control-center-replay", filter.Group));
        using var producer = kafka.CreateProducer<byte[]?, byte[]?>(kafka.ProducerConfig("control-center-replay"));

        // Read up to where the topic ends now: what is dead-lettered during the replay waits for the next one.
        var ends = consumer.EndsNow(Topics.DeadLetter);
        var next = consumer.Committed(ends.Keys, Timeout).ToDictionary(c => c.TopicPartition, c => c.Offset.IsSpecial ? consumer.Oldest(c.TopicPartition) : c.Offset.Value);
        int read = 0, replayed = 0, failedAgain = 0, noSource = 0, cut = 0, undecodable = 0;
        var deliveries = new List<Task>();
        await consumer.ReadUntilAsync(next, ends, async record =>
        {
            read++;
            var decoded = await decoder.DecodeAsync(record.Message.Value, Topics.DeadLetter);
            if (!decoded.Success)
            {
                undecodable++;
                return;
            }

            var letter = decoded.Value!;
            if (!filter.Matches(letter))
            {
                return;
            }

            switch (Replayable(letter, filter))
            {
                case Verdict.NoSourceTopic:
                    noSource++;
                    break;
                case Verdict.Cut:
                    cut++;
                    break;
                case Verdict.FailedAfterReplay:
                    failedAgain++;
                    break;
                default:
                    replayed++;
                    if (!dryRun)
                    {
                        deliveries.Add(producer.ProduceAsync(letter.SourceTopic!, Replay(letter, record), cancellation));
                    }

                    break;
            }
        }, cancellation);

        await Task.WhenAll(deliveries);
        if (!dryRun && next.Count > 0)
        {
            consumer.Commit(next.Select(n => new TopicPartitionOffset(n.Key, n.Value)));
        }

        consumer.Close();
        return new ReplayResult(replayed, failedAgain, noSource, cut, undecodable, read, dryRun);
    }

    private enum Verdict
    {
        Replay,
        NoSourceTopic,
        Cut,
        FailedAfterReplay,
    }

    /// <summary>Whether a dead letter can go back: it came from a topic, it is whole, and it did not fail after a replay (unless asked).</summary>
    private static Verdict Replayable(DeadLetter letter, ReplayFilter filter) =>
        letter.SourceTopic is null ? Verdict.NoSourceTopic
        : letter.Headers.Any(h => h.Key == DeadLetters.TruncatedHeader) ? Verdict.Cut
        : letter.Headers.Any(h => h.Key == ReplayHeader) && !filter.IncludeFailedReplays ? Verdict.FailedAfterReplay
        : Verdict.Replay;

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
}
