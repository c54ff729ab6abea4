namespace CryptoEtl.DevServices.CoinGecko;

/// <summary>The simulator's live state: the market, the fault switches, its own rate limit and what it has served.</summary>
public sealed class CoinGeckoSimulator
{
    private readonly Lock _gate = new();
    private readonly Queue<DateTimeOffset> _admitted = new();
    private readonly Random _faultRandom;
    private readonly TimeProvider _clock;
    private SimulatorFaults _faults = SimulatorFaults.None;

    public CoinGeckoSimulator(SimulatorOptions options, TimeProvider clock)
    {
        Options = options;
        _clock = clock;
        _faultRandom = new Random(options.Seed ^ 0x5EED);
        Market = new MarketSimulation(options, clock);
    }

    public SimulatorOptions Options { get; }

    internal MarketSimulation Market { get; }

    public SimulatorStats Stats { get; } = new();

    public SimulatorFaults Faults
    {
        get { lock (_gate) { return _faults; } }
        set { lock (_gate) { _faults = value; } }
    }

    /// <summary>Decides, before the endpoint runs, whether this request fails and how.</summary>
    internal Verdict Admit(string? apiKey)
    {
        lock (_gate)
        {
            Stats.Requests++;
            var latency = TimeSpan.FromMilliseconds(_faults.LatencyMs);
            if (_faults.StallNext > 0)
            {
                _faults = _faults with { StallNext = _faults.StallNext - 1 };
                Stats.Stalled++;
                latency = TimeSpan.FromMilliseconds(_faults.StallMs);
            }

            if (Options.RequiredApiKey is { } required && apiKey != required)
            {
                Stats.Unauthorized++;
                return Verdict.Error(401);
            }

            if (_faults.RateLimitStorm > 0)
            {
                _faults = _faults with { RateLimitStorm = _faults.RateLimitStorm - 1 };
                Stats.RateLimited++;
                return Verdict.RateLimited(_faults.RetryAfterSeconds, latency);
            }

            if (_faults.FailNext > 0)
            {
                _faults = _faults with { FailNext = _faults.FailNext - 1 };
                Stats.Errors++;
                return Verdict.Error(503, latency);
            }

            var now = _clock.GetUtcNow();
            while (_admitted.Count > 0 && now - _admitted.Peek() >= TimeSpan.FromMinutes(1))
            {
                _admitted.Dequeue();
            }

            if (Options.RateLimitPerMinute > 0 && _admitted.Count >= Options.RateLimitPerMinute)
            {
                Stats.RateLimited++;
                var wait = TimeSpan.FromMinutes(1) - (now - _admitted.Peek());
                return Verdict.RateLimited((int)Math.Ceiling(wait.TotalSeconds), latency);
            }

            _admitted.Enqueue(now);
            if (_faults.ErrorRate > 0 && _faultRandom.NextDouble() < _faults.ErrorRate)
            {
                Stats.Errors++;
                return Verdict.Error(_faultRandom.NextDouble() < 0.5 ? 500 : 503, latency);
            }

            var malformed = _faults.MalformedNext > 0 || (_faults.MalformedRate > 0 && _faultRandom.NextDouble() < _faults.MalformedRate);
            if (_faults.MalformedNext > 0)
            {
                _faults = _faults with { MalformedNext = _faults.MalformedNext - 1 };
            }

            if (malformed)
            {
                Stats.Malformed++;
            }

            Stats.Served++;
            return Verdict.Serve(malformed, latency);
        }
    }

    /// <summary>Which defect, if any, to put into the next coin of a response.</summary>
    internal CoinDefect NextCoinDefect()
    {
        lock (_gate)
        {
            if (_faults.BadCoinRate <= 0 || _faultRandom.NextDouble() >= _faults.BadCoinRate)
            {
                return CoinDefect.None;
            }

            Stats.BadCoins++;
            return (CoinDefect)(1 + _faultRandom.Next(4));
        }
    }

    internal Task DelayAsync(TimeSpan latency, CancellationToken cancellation) =>
        latency > TimeSpan.Zero ? Task.Delay(latency, _clock, cancellation) : Task.CompletedTask;
}

/// <summary>What the simulator has done so far (<c>GET /simulator/stats</c>).</summary>
public sealed class SimulatorStats
{
    public long Requests { get; set; }
    public long Served { get; set; }
    public long RateLimited { get; set; }
    public long Errors { get; set; }
    public long Malformed { get; set; }
    public long BadCoins { get; set; }
    public long Stalled { get; set; }
    public long Unauthorized { get; set; }
}

internal enum CoinDefect
{
    None,
    NullId,
    NullPrice,
    NegativePrice,
    BadLastUpdated,
}

internal readonly record struct Verdict(int Status, int RetryAfterSeconds, bool Malformed, TimeSpan Latency)
{
    public static Verdict Serve(bool malformed, TimeSpan latency) => new(200, 0, malformed, latency);

    public static Verdict RateLimited(int retryAfterSeconds, TimeSpan latency) => new(429, retryAfterSeconds, false, latency);

    public static Verdict Error(int status, TimeSpan latency = default) => new(status, 0, false, latency);
}
