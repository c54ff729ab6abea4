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

/// <summary>How a run asks CoinGecko to order /coins/markets.</summary>
public enum CoinGeckoOrder
{
    /// <summary>
    /// <c>market_cap_desc</c>: the top N by market cap. A coin whose cap crosses a page boundary while a run reads the
    /// pages is read twice (and sent once) or not at all in that pass.
    /// </summary>
    MarketCapDesc,

    /// <summary>
    /// <c>id_asc</c>: no coin moves between pages, so a pass over the whole market (TopN above its size) reads every
    /// coin exactly once however the market moves meanwhile.
    /// </summary>
    IdAsc,
}
