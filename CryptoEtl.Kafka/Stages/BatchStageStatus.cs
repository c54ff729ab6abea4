using System.Collections.Concurrent;

namespace CryptoEtl.Kafka.Stages;

/// <summary>What a batch stage is doing, for /health, the lag metric and the freshness endpoint.</summary>
public sealed class BatchStageStatus(TimeProvider clock)
{
    public BatchStageStatus()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Unhealthy while the stage is not running or its batches fail.</summary>
    public StageHealth Health { get; } = new(clock);

    /// <summary>Records behind the end of each input topic, from the stage's own position, after each batch.</summary>
    public ConcurrentDictionary<string, long> LagByTopic { get; } = new(StringComparer.Ordinal);

    /// <summary>Records Kafka lost before the stage read them (<see cref="LogContinuity"/>), per topic and kind, since the stage started.</summary>
    public ConcurrentDictionary<(string Topic, LogBreakKind Kind), long> Lost { get; } = new();

    /// <summary>The last loss, said in words, and when it was found; null while there was none.</summary>
    public (string Text, DateTimeOffset At)? LastLoss { get; private set; }

    public void Found(IReadOnlyCollection<LogBreak> breaks)
    {
        foreach (var found in breaks)
        {
            Lost.AddOrUpdate((found.Partition.Topic, found.Kind), found.Lost, (_, lost) => lost + found.Lost);
        }

        LastLoss = (string.Join("; ", breaks), clock.GetUtcNow());
        Health.Lost(Lost.Values.Sum(), LastLoss.Value);
    }
}
