namespace CryptoEtl.Contracts.Market;

/// <summary>Where market data came from. Every record carries it, so simulated data can never pass for real data.</summary>
public enum DataSource
{
    CoinGecko,
    Simulator,
}
