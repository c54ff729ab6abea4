namespace CryptoEtl.Contracts.Market;

public enum AlertKind
{
    /// <summary>The newest log return is an outlier against the coin's recent returns.</summary>
    ZScore,

    /// <summary>The price moved more than the threshold inside one candle window.</summary>
    WindowMove,
}
