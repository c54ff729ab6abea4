using CryptoEtl.Contracts.Market;

namespace CryptoEtl.SparkJob.Transform;

/// <summary>What processing a batch of one partition produced, in order.</summary>
public sealed class TransformOutput
{
    public List<PriceTick> Ticks { get; } = [];

    public List<Candle> Candles { get; } = [];

    public List<MarketAlert> Alerts { get; } = [];

    /// <summary>Indexes (into the batch's input) of ticks that arrived after their window was final.</summary>
    public List<int> Late { get; } = [];

    public int Duplicates { get; set; }

    /// <summary>Windows changed in this batch; their latest state is emitted once at the end of the batch (update mode).</summary>
    internal HashSet<(string Coin, WindowState Window)> Changed { get; } = [];

    public void Clear()
    {
        Ticks.Clear();
        Candles.Clear();
        Alerts.Clear();
        Late.Clear();
        Changed.Clear();
        Duplicates = 0;
    }
}
