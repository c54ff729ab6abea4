namespace CryptoEtl.DevServices.CoinGecko;

/// <summary>
/// Fault switches for tests and demos, settable at start-up or live through <c>PUT /simulator/faults</c>.
/// Rates are probabilities per request (or per coin for <see cref="BadCoinRate"/>).
/// </summary>
public sealed record SimulatorFaults
{
    /// <summary>Share of requests answered with a 5xx error body.</summary>
    public double ErrorRate { get; init; }

    /// <summary>Delay added before every answer.</summary>
    public int LatencyMs { get; init; }

    /// <summary>Share of 200 answers whose JSON body is cut short.</summary>
    public double MalformedRate { get; init; }

    /// <summary>Share of coins served with a broken required field (null id, null or negative price, unparseable last_updated).</summary>
    public double BadCoinRate { get; init; }

    /// <summary>The next N requests are answered 429, whatever the rate limit (a "429 storm").</summary>
    public int RateLimitStorm { get; init; }

    /// <summary>Retry-After (seconds) sent with storm 429s.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>The next N requests fail with 503 (deterministic, unlike <see cref="ErrorRate"/>).</summary>
    public int FailNext { get; init; }

    /// <summary>The next N successful answers have a cut-short body (deterministic, unlike <see cref="MalformedRate"/>).</summary>
    public int MalformedNext { get; init; }

    /// <summary>The next N requests hang for <see cref="StallMs"/> before answering: client timeouts.</summary>
    public int StallNext { get; init; }

    public int StallMs { get; init; } = 60_000;

    public static SimulatorFaults None { get; } = new();

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (name, rate) in new[] { (nameof(ErrorRate), ErrorRate), (nameof(MalformedRate), MalformedRate), (nameof(BadCoinRate), BadCoinRate) })
        {
            if (rate is < 0 or > 1 || double.IsNaN(rate))
            {
                problems.Add($"{name} must be between 0 and 1 (got {rate}).");
            }
        }

        if (LatencyMs is < 0 or > 600_000)
        {
            problems.Add($"LatencyMs must be between 0 and 600000 (got {LatencyMs}).");
        }

        if (RateLimitStorm < 0 || FailNext < 0 || MalformedNext < 0 || StallNext < 0 || StallMs < 0 || RetryAfterSeconds < 0)
        {
            problems.Add("RateLimitStorm, FailNext, MalformedNext, StallNext, StallMs and RetryAfterSeconds cannot be negative.");
        }

        return problems;
    }
}
