namespace CryptoEtl.DevServices.CoinGecko;

/// <summary>How the CoinGecko simulator behaves when no fault is switched on.</summary>
public sealed record SimulatorOptions
{
    /// <summary>Coins served: the 17 of the real seed response, then deterministic synthetic ones.</summary>
    public int CoinCount { get; init; } = 250;

    /// <summary>
    /// The most coins the simulator serves: several times CoinGecko's whole market (about 17,000). Each request moves
    /// and sorts them all, about 60 ms at 100,000 coins.
    /// </summary>
    public const int MaxCoins = 1_000_000;

    /// <summary>Seed of every random walk, so two runs with the same seed and clock serve the same prices.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>How often each coin's price and last_updated move; CoinGecko's public API refreshes about once a minute.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Requests per minute before the simulator answers 429 like CoinGecko (0: no limit).</summary>
    public int RateLimitPerMinute { get; init; } = 30;

    /// <summary>Chance per refresh that a coin jumps 3-8 %: anomalies for the pipeline to find (0.002 is about a real market's rate).</summary>
    public double JumpProbability { get; init; } = 0.002;

    /// <summary>When set, requests must carry it in x-cg-demo-api-key or x-cg-pro-api-key, or get CoinGecko's 401.</summary>
    public string? RequiredApiKey { get; init; }

    /// <summary>What is wrong with these settings; the simulator refuses to start with any.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (CoinCount is < 1 or > MaxCoins)
        {
            problems.Add($"The simulator serves between 1 and {MaxCoins} coins (got {CoinCount}).");
        }

        if (RefreshInterval < TimeSpan.FromMilliseconds(100))
        {
            problems.Add($"The refresh interval must be at least 100 ms (got {RefreshInterval}).");
        }

        if (RateLimitPerMinute < 0)
        {
            problems.Add($"The rate limit must not be negative (got {RateLimitPerMinute}).");
        }

        if (JumpProbability is < 0 or > 1 || double.IsNaN(JumpProbability))
        {
            problems.Add($"The jump probability must be between 0 and 1 (got {JumpProbability}).");
        }

        return problems;
    }
}
