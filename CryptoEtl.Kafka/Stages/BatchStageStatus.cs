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
}
