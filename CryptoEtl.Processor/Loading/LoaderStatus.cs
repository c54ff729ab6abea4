using System.Collections.Concurrent;

namespace CryptoEtl.Processor.Loading;

/// <summary>What the loader is doing, for the freshness endpoint, health and metrics.</summary>
public sealed class LoaderStatus
{
    public ConcurrentDictionary<string, long> LagByTopic { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset? LastBatchAt { get; set; }

    /// <summary>Set while the store refuses writes and consumption is paused.</summary>
    public string? StoreError { get; set; }

    public bool Running { get; set; }
}
