using System.Collections.Concurrent;
using CryptoEtl.Kafka;

namespace CryptoEtl.Processor.Loading;

/// <summary>What the loader is doing, for the freshness endpoint, health and metrics.</summary>
public sealed class LoaderStatus(TimeProvider clock)
{
    public LoaderStatus()
        : this(TimeProvider.System)
    {
    }

    public ConcurrentDictionary<string, long> LagByTopic { get; } = new(StringComparer.Ordinal);

    /// <summary>Unhealthy while the loader is not running or the store refuses writes.</summary>
    public StageHealth Health { get; } = new(clock);

    /// <summary>Set while the store refuses writes and consumption is paused.</summary>
    public string? StoreError => Health.Error;
}
