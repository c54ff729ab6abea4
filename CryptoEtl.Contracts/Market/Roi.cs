namespace CryptoEtl.Contracts.Market;

/// <summary>CoinGecko's return on investment since the coin's ICO.</summary>
public sealed record Roi(double Times, string Currency, double Percentage);
