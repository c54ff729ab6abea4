namespace CryptoEtl.DevServices.CoinGecko;

/// <summary>One coin's static description and its random walk. Not thread-safe: <see cref="MarketSimulation"/> serialises access.</summary>
internal sealed class SimulatedCoin
{
    private const int HistorySteps = 24 * 60; // enough for 1h and 24h changes at the default one-minute refresh

    private readonly Random _random;
    private readonly double[] _history = new double[HistorySteps];
    private readonly double _startPrice;
    private readonly double _jumpProbability;
    private bool _seen;
    private long _step;
    private long _firstStep;

    public SimulatedCoin(CoinTemplate template, double volatility, TimeSpan phase, int seed, double jumpProbability)
    {
        Template = template;
        Volatility = volatility;
        Phase = phase;
        _random = new Random(seed);
        _jumpProbability = jumpProbability;
        Price = template.Price;
        _startPrice = template.Price;
        Volume = template.TotalVolume ?? template.Price * 1e6;
        High24h = Low24h = Price;
    }

    public CoinTemplate Template { get; }

    /// <summary>Standard deviation of one step's log return.</summary>
    public double Volatility { get; }

    /// <summary>Offset of this coin's refreshes inside the refresh cycle, so coins do not all update at once (as on CoinGecko).</summary>
    public TimeSpan Phase { get; }

    public double Price { get; private set; }

    public double Volume { get; private set; }

    public double High24h { get; private set; }

    public double Low24h { get; private set; }

    public DateTimeOffset LastUpdated { get; private set; }

    public double MarketCap => Price * (Template.CirculatingSupply ?? 0);

    /// <summary>Place by market cap (1 = largest), as <see cref="MarketSimulation.ByMarketCap"/> last set it.</summary>
    public int MarketCapRank { get; set; }

    /// <summary>Moves the walk to the last refresh at or before <paramref name="now"/>; true when the price moved (or was first seen).</summary>
    public bool AdvanceTo(DateTimeOffset now, DateTimeOffset origin, TimeSpan refresh)
    {
        var target = (long)Math.Floor((now - origin - Phase) / refresh);
        var moved = !_seen || target > _step;
        if (!_seen)
        {
            _seen = true;
            _firstStep = _step = target; // first sight: the seed price
            _history[Slot(_step)] = Price;
        }

        if (target > _step)
        {
            var steps = target - _step;
            if (steps > HistorySteps)
            {
                // A long gap (a laptop asleep) takes one aggregated step instead of replaying every missed refresh.
                Step(Math.Sqrt(steps - HistorySteps));
                _step = target - HistorySteps;
            }

            while (_step < target)
            {
                Step(1);
                _step++;
                _history[Slot(_step)] = Price;
                High24h = Math.Max(High24h, Price);
                Low24h = Math.Min(Low24h, Price);
            }
        }

        // The moment of the last refresh: never after now, and with milliseconds (from the phase) as real values have.
        LastUpdated = origin + Phase + (refresh * _step);
        return moved;
    }

    /// <summary>Percent change over the last <paramref name="steps"/> refreshes (since the first sight when the walk is younger).</summary>
    public double ChangePercent(int steps)
    {
        var reference = steps < HistorySteps && _step - steps >= _firstStep ? _history[Slot(_step - steps)] : _startPrice;
        return reference == 0 ? 0 : 100 * (Price - reference) / reference;
    }

    public double PriceChange24h => Price - (Price / (1 + (ChangePercent(HistorySteps - 1) / 100)));

    private static long Slot(long step) => ((step % HistorySteps) + HistorySteps) % HistorySteps;

    private void Step(double scale)
    {
        // Geometric random walk; now and then a jump, so the pipeline has anomalies to find.
        var shock = Gaussian() * Volatility * scale;
        if (_random.NextDouble() < _jumpProbability * scale * scale)
        {
            shock += (_random.NextDouble() < 0.5 ? -1 : 1) * (0.03 + (_random.NextDouble() * 0.05)) * Math.Max(Volatility / 0.002, 0.05);
        }

        Price *= Math.Exp(shock - (Volatility * Volatility * scale * scale / 2));
        Volume *= Math.Exp(Gaussian() * 0.01 * scale);
    }

    private double Gaussian()
    {
        // Box-Muller.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

/// <summary>What does not move: identity, supply, all-time high/low, ROI, as in CoinGecko's response.</summary>
internal sealed record CoinTemplate
{
    public required string Id { get; init; }
    public required string Symbol { get; init; }
    public required string Name { get; init; }
    public required string? Image { get; init; }
    public required int Rank { get; init; }
    public required double Price { get; init; }
    public double? TotalVolume { get; init; }
    public double? CirculatingSupply { get; init; }
    public double? TotalSupply { get; init; }
    public double? MaxSupply { get; init; }
    public double? FullyDilutedRatio { get; init; }
    public double? Ath { get; init; }
    public string? AthDate { get; init; }
    public double? Atl { get; init; }
    public string? AtlDate { get; init; }
    public (double Times, string Currency, double Percentage)? Roi { get; init; }

    public bool IsStablecoin => Symbol is "usdt" or "usdc" or "dai" or "busd" or "tusd" || Id.Contains("usd", StringComparison.Ordinal);
}
