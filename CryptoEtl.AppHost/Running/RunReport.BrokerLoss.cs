using System.Collections.Concurrent;
using System.Globalization;
using CryptoEtl.Contracts.Api;

namespace CryptoEtl.AppHost.Running;

/// <summary>
/// The embedded broker keeps everything in memory: when it exits by itself (and is started again, empty), every topic's
/// records are gone. The run says what was lost, from what it saw last (every status tick): the records each topic held,
/// dead letters among them, and what the consumers had not yet read. The stages also say what they found missing
/// (records evicted past their position, or gone with a replaced log), which the run repeats.
/// </summary>
public sealed partial class RunReport
{
    private readonly ConcurrentQueue<BrokerLoss> _brokerLosses = new();
    private readonly ConcurrentDictionary<string, long> _lostBeforeRead = new(StringComparer.Ordinal);
    private (PipelineCounts? Counts, IReadOnlyDictionary<string, long?> Unconsumed, DateTimeOffset At)? _lastSeen;

    /// <summary>What the broker lost each time it came back empty.</summary>
    public IReadOnlyCollection<BrokerLoss> BrokerLosses => _brokerLosses;

    /// <summary>Keeps what the pipeline held at this tick: the topics' records and each consumer group's lag.</summary>
    private async Task ObserveAsync(PipelineCounts? counts, CancellationToken cancellation)
    {
        var unconsumed = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var consumer in order.Consumers)
        {
            foreach (var progress in await LagAsync(consumer, cancellation))
            {
                unconsumed[progress.Group] = progress.Lag;
                if (progress.Lost > 0)
                {
                    // A restarted service counts from zero again: this keeps the most it has said.
                    _lostBeforeRead.AddOrUpdate(progress.Resource, progress.Lost, (_, before) => Math.Max(before, progress.Lost));
                }
            }
        }

        _lastSeen = (counts, unconsumed, clock.GetUtcNow());
    }

    /// <summary>Per consumer, the records Kafka lost before it read them, as it last said.</summary>
    private Dictionary<string, long> UnreadLosses() => new(_lostBeforeRead, StringComparer.Ordinal);

    private void BrokerLost(int? exitCode)
    {
        var seen = _lastSeen;
        var loss = new BrokerLoss(clock.GetUtcNow(), exitCode, seen?.At, seen?.Counts?.Topics ?? new Dictionary<string, long>(), seen?.Unconsumed ?? new Dictionary<string, long?>());
        _brokerLosses.Enqueue(loss);
        BrokerCameBackEmpty(logger, exitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown", loss.Describe());
    }

    [LoggerMessage(3, LogLevel.Warning, "kafka exited (exit code {ExitCode}) and comes back empty, as the embedded broker keeps its data in memory: {Lost}")]
    private static partial void BrokerCameBackEmpty(ILogger logger, string exitCode, string lost);
}

/// <summary>What one exit of the embedded broker lost, as the run last saw the pipeline before it.</summary>
/// <param name="SeenAt">When the counts were taken (the status tick before the exit); null when none was taken yet.</param>
/// <param name="Records">Records each topic held (its end offset).</param>
/// <param name="Unconsumed">Records each consumer group had not yet committed (null: unknown), lost with them.</param>
public sealed record BrokerLoss(DateTimeOffset At, int? ExitCode, DateTimeOffset? SeenAt, IReadOnlyDictionary<string, long> Records, IReadOnlyDictionary<string, long?> Unconsumed)
{
    public long DeadLetters => Records.GetValueOrDefault(CryptoEtl.Contracts.Topics.DeadLetter);

    /// <summary>Unconsumed records lost, or null when a group's lag was unknown.</summary>
    public long? UnconsumedTotal => Unconsumed.Values.Any(v => v is null) ? null : Unconsumed.Values.Sum(v => v!.Value);

    /// <summary>For the status line: "kafka came back empty at 12:00:01: 308 dead letters and 0 unconsumed records lost".</summary>
    public string Line() =>
        $"kafka came back empty at {At:HH:mm:ss}: {DeadLetters} dead letters and {(UnconsumedTotal is { } total ? total.ToString(CultureInfo.InvariantCulture) : "an unknown number of")} unconsumed records lost";

    public string Describe() => SeenAt is null
        ? "nothing had been counted yet, so what it held is unknown"
        : $"as counted at {SeenAt:HH:mm:ss}, its topics held {string.Join(", ", Records.Select(r => $"{r.Value} {r.Key}"))} (dead letters: {DeadLetters}); "
            + $"records the consumers had not read: {string.Join(", ", Unconsumed.Select(u => $"{u.Key} {(u.Value is { } lag ? lag.ToString(CultureInfo.InvariantCulture) : "unknown")}"))}";
}
