namespace CryptoEtl.Ingest.CoinGecko;

/// <summary>CoinGecko's API plans: each has its host, key header and a rate limit we stay under.</summary>
public enum CoinGeckoPlan
{
    /// <summary>No key, api.coingecko.com, roughly 10 calls a minute shared per IP.</summary>
    Public,

    /// <summary>Free key in x-cg-demo-api-key, api.coingecko.com, 30 calls a minute.</summary>
    Demo,

    /// <summary>Paid key in x-cg-pro-api-key, pro-api.coingecko.com, 500 calls a minute.</summary>
    Pro,
}
