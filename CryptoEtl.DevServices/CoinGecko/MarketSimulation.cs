using System.Text.Json;

namespace CryptoEtl.DevServices.CoinGecko;

/// <summary>
/// The simulated market: the coins of a real CoinGecko response (plus synthetic ones), each on a seeded random walk
/// that moves once per refresh interval with a per-coin phase, like CoinGecko's own refresh cycle.
/// </summary>
internal sealed class MarketSimulation
{
    private readonly Lock _gate = new();
    private readonly List<SimulatedCoin> _coins;
    private readonly DateTimeOffset _origin;
    private readonly TimeSpan _refresh;
    private readonly TimeProvider _clock;
    private readonly SimulatedCoin[] _byId;
    private readonly SimulatedCoin[] _byCap;
    private bool _byCapStale = true;

    public MarketSimulation(SimulatorOptions options, TimeProvider clock)
    {
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _clock = clock;
        _refresh = options.RefreshInterval;
        _origin = clock.GetUtcNow();
        var seedRandom = new Random(options.Seed);
        var templates = SeedTemplates().Concat(SyntheticTemplates(options.CoinCount, seedRandom)).Take(options.CoinCount);
        _coins = templates.Select((t, i) => new SimulatedCoin(
            t,
            Volatility(t, seedRandom),
            TimeSpan.FromTicks((long)(seedRandom.NextDouble() * _refresh.Ticks * 0.4)),
            unchecked((options.Seed * 100_003) + i), // not HashCode.Combine: that is seeded per process
            options.JumpProbability)).ToList();
        _byId = [.. _coins.OrderBy(c => c.Template.Id, StringComparer.Ordinal)];
        _byCap = [.. _coins];
    }

    public int CoinCount => _coins.Count;

    /// <summary>Runs <paramref name="read"/> over every coin moved to the current time, under the simulation's lock.</summary>
    public T Read<T>(Func<IReadOnlyList<SimulatedCoin>, T> read)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            foreach (var coin in _coins)
            {
                _byCapStale |= coin.AdvanceTo(now, _origin, _refresh);
            }

            return read(_coins);
        }
    }

    /// <summary>
    /// The coins by market cap, largest first, each with its <see cref="SimulatedCoin.MarketCapRank"/>; only inside
    /// <see cref="Read{T}"/>. Sorted again only when a coin moved since, so a pass over a large market's pages does not
    /// sort it once per page (a page of 100,000 coins took about 185 ms).
    /// </summary>
    public IReadOnlyList<SimulatedCoin> ByMarketCap
    {
        get
        {
            if (_byCapStale)
            {
                var caps = Array.ConvertAll(_byCap, c => -c.MarketCap);
                Array.Sort(caps, _byCap);
                for (var i = 0; i < _byCap.Length; i++)
                {
                    _byCap[i].MarketCapRank = i + 1;
                }

                _byCapStale = false;
            }

            return _byCap;
        }
    }

    /// <summary>The coins by id (which never change).</summary>
    public IReadOnlyList<SimulatedCoin> ById => _byId;

    /// <summary>Stablecoins barely move; bitcoin and ether less than smaller coins.</summary>
    private static double Volatility(CoinTemplate coin, Random random) => coin switch
    {
        { IsStablecoin: true } => 0.00003,
        { Id: "bitcoin" or "wrapped-bitcoin" } => 0.0009,
        { Id: "ethereum" or "staked-ether" } => 0.0012,
        _ => 0.0015 + (random.NextDouble() * 0.0025),
    };

    private static IEnumerable<CoinTemplate> SeedTemplates()
    {
        using var stream = typeof(MarketSimulation).Assembly.GetManifestResourceStream("CryptoEtl.DevServices.CoinGecko.seed.json")
            ?? throw new InvalidOperationException("The simulator's seed response is not embedded.");
        using var json = JsonDocument.Parse(stream);
        var rank = 0;
        foreach (var coin in json.RootElement.EnumerateArray())
        {
            rank++;
            var fdv = Number(coin, "fully_diluted_valuation");
            var marketCap = Number(coin, "market_cap");
            yield return new CoinTemplate
            {
                Id = coin.GetProperty("id").GetString()!,
                Symbol = coin.GetProperty("symbol").GetString()!,
                Name = coin.GetProperty("name").GetString()!,
                Image = coin.GetProperty("image").GetString(),
                Rank = rank,
                Price = coin.GetProperty("current_price").GetDouble(),
                TotalVolume = Number(coin, "total_volume"),
                CirculatingSupply = Number(coin, "circulating_supply"),
                TotalSupply = Number(coin, "total_supply"),
                MaxSupply = Number(coin, "max_supply"),
                FullyDilutedRatio = fdv is { } f && marketCap is > 0 ? f / marketCap : null,
                Ath = Number(coin, "ath"),
                AthDate = coin.GetProperty("ath_date").GetString(),
                Atl = Number(coin, "atl"),
                AtlDate = coin.GetProperty("atl_date").GetString(),
                Roi = coin.GetProperty("roi") is { ValueKind: JsonValueKind.Object } roi
                    ? (roi.GetProperty("times").GetDouble(), roi.GetProperty("currency").GetString()!, roi.GetProperty("percentage").GetDouble())
                    : null,
            };
        }
    }

    /// <summary>
    /// Deterministic made-up coins ranked below the real ones, each smaller than the last: steeply to rank 250, then
    /// by a power law (about $700 at rank 17,000, a dollar at 1,000,000), so no market cap or supply underflows to zero.
    /// </summary>
    private static IEnumerable<CoinTemplate> SyntheticTemplates(int count, Random random)
    {
        var marketCap = 5e9;
        for (var rank = 18; rank <= count; rank++)
        {
            marketCap *= rank <= 250 ? 0.93 + (random.NextDouble() * 0.06) : 1 - (1.5 / rank * (0.5 + random.NextDouble()));
            var price = Math.Exp((random.NextDouble() * 14) - 7); // from about 0.001 to 1000
            var supply = marketCap / price;
            yield return new CoinTemplate
            {
                Id = $"simcoin-{rank:000}",
                Symbol = $"sim{rank}",
                Name = $"SimCoin {rank}",
                Image = null,
                Rank = rank,
                Price = price,
                TotalVolume = marketCap * (0.01 + (random.NextDouble() * 0.2)),
                CirculatingSupply = supply,
                TotalSupply = random.NextDouble() < 0.3 ? null : supply * (1 + random.NextDouble()),
                MaxSupply = random.NextDouble() < 0.5 ? null : supply * (1.5 + random.NextDouble()),
                Ath = price * (1.2 + (random.NextDouble() * 9)),
                AthDate = "2021-11-10T14:24:11.849Z",
                Atl = price * (0.01 + (random.NextDouble() * 0.5)),
                AtlDate = "2020-03-13T02:22:55.044Z",
            };
        }
    }

    private static double? Number(JsonElement coin, string name) =>
        coin.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
