using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.DevServices.CoinGecko;
using CryptoEtl.DevServices.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Time.Testing;

namespace CryptoEtl.DevServices.Tests.CoinGecko;

/// <summary>The simulator over HTTP, with a test clock driving its refresh cycle.</summary>
public sealed class SimulatorTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero));
    private WebApplication? _app;
    private HttpClient? _http;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private HttpClient Http => _http ?? throw new InvalidOperationException("Start the simulator first.");

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task<HttpClient> StartAsync(SimulatorOptions? options = null)
    {
        _app = CoinGeckoSimulatorServer.Build("http://127.0.0.1:0", options ?? new SimulatorOptions { RateLimitPerMinute = 0 }, clock: _clock,
            args: ["--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync(Cancel);
        _http = new HttpClient { BaseAddress = _app.ListeningAddress() };
        return _http;
    }

    private async Task<JsonElement[]> Markets(string query = "vs_currency=usd&per_page=250") =>
        (await Http.GetFromJsonAsync<JsonElement[]>($"/api/v3/coins/markets?{query}", Cancel))!;

    [Fact]
    public async Task Markets_have_the_shape_of_the_real_response_and_the_simulator_header()
    {
        await StartAsync();
        using var response = await Http.GetAsync(new Uri("/api/v3/coins/markets?vs_currency=usd&price_change_percentage=1h,24h,7d", UriKind.Relative), Cancel);
        var coins = (await response.Content.ReadFromJsonAsync<JsonElement[]>(Cancel))!;

        Assert.Equal("true", response.Headers.GetValues("X-CryptoEtl-Simulator").Single());
        Assert.Equal(100, coins.Length); // CoinGecko's default page size
        var realFields = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "coins-markets-usd-2024-01-01.json"), Cancel))
            .RootElement[0].EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(realFields.Concat(["price_change_percentage_1h_in_currency", "price_change_percentage_24h_in_currency", "price_change_percentage_7d_in_currency"]),
            coins[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(("bitcoin", 42632, 1), (coins[0].GetProperty("id").GetString(), coins[0].GetProperty("current_price").GetDouble(), coins[0].GetProperty("market_cap_rank").GetInt32()));
        Assert.Equal(JsonValueKind.Object, coins.Single(c => c.GetProperty("id").GetString() == "ethereum").GetProperty("roi").ValueKind);
        Assert.Equal(JsonValueKind.Null, coins.Single(c => c.GetProperty("id").GetString() == "ethereum").GetProperty("max_supply").ValueKind);
    }

    [Fact]
    public async Task Pages_and_ids_select_coins_like_CoinGecko()
    {
        await StartAsync(new SimulatorOptions { CoinCount = 30, RateLimitPerMinute = 0 });

        var pages = new[] { await Markets("vs_currency=usd&per_page=12&page=1"), await Markets("vs_currency=usd&per_page=12&page=2"), await Markets("vs_currency=usd&per_page=12&page=3") };
        var beyond = await Markets("vs_currency=usd&per_page=12&page=4");
        var chosen = await Markets("vs_currency=usd&ids=tether,solana,nope");

        Assert.Equal([12, 12, 6], pages.Select(p => p.Length));
        Assert.Empty(beyond);
        Assert.Equal(30, pages.SelectMany(p => p).Select(c => c.GetProperty("id").GetString()).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 30), pages.SelectMany(p => p).Select(c => c.GetProperty("market_cap_rank").GetInt32()));
        Assert.Equal(["solana", "tether"], chosen.Select(c => c.GetProperty("id").GetString()).Order());
    }

    /// <summary>CoinGecko's whole market and more: 20,000 coins in 80 pages of 250, each coin once, by market cap.</summary>
    [Fact]
    public async Task A_market_the_size_of_CoinGeckos_is_served_in_full_pages_each_coin_once()
    {
        await StartAsync(new SimulatorOptions { CoinCount = 20_000, RateLimitPerMinute = 0 });

        var pages = new List<JsonElement[]>();
        for (var page = 1; page <= 81; page++)
        {
            pages.Add(await Markets($"vs_currency=usd&per_page=250&page={page}"));
        }

        Assert.All(pages.Take(80), p => Assert.Equal(250, p.Length));
        Assert.Empty(pages[80]);
        var coins = pages.SelectMany(p => p).ToList();
        Assert.Equal(20_000, coins.Select(c => c.GetProperty("id").GetString()).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 20_000), coins.Select(c => c.GetProperty("market_cap_rank").GetInt32()));
        var caps = coins.Select(c => c.GetProperty("market_cap").GetDouble()).ToList();
        Assert.Equal(caps.OrderDescending(), caps);
        Assert.All(coins, c => Assert.True(c.GetProperty("market_cap").GetDouble() >= 100 && c.GetProperty("circulating_supply").GetDouble() > 1e-3,
            $"{c.GetProperty("id")}: market cap {c.GetProperty("market_cap")}, supply {c.GetProperty("circulating_supply")}"));
    }

    [Fact]
    public async Task Prices_move_once_per_refresh_and_stablecoins_barely_move()
    {
        await StartAsync(new SimulatorOptions { RefreshInterval = TimeSpan.FromMinutes(1), RateLimitPerMinute = 0 });
        var before = (await Markets()).ToDictionary(c => c.GetProperty("id").GetString()!);

        _clock.Advance(TimeSpan.FromSeconds(5));
        var sameCycle = (await Markets()).ToDictionary(c => c.GetProperty("id").GetString()!);
        _clock.Advance(TimeSpan.FromMinutes(30));
        var later = (await Markets()).ToDictionary(c => c.GetProperty("id").GetString()!);

        Assert.Equal(Price(before["bitcoin"]), Price(sameCycle["bitcoin"]));
        Assert.Equal(before["bitcoin"].GetProperty("last_updated").GetString(), sameCycle["bitcoin"].GetProperty("last_updated").GetString());
        Assert.NotEqual(Price(before["bitcoin"]), Price(later["bitcoin"]));
        var advanced = DateTimeOffset.Parse(later["bitcoin"].GetProperty("last_updated").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse(before["bitcoin"].GetProperty("last_updated").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromMinutes(30), advanced);
        Assert.All(later.Values, c => Assert.InRange(
            DateTimeOffset.Parse(c.GetProperty("last_updated").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            _clock.GetUtcNow() - TimeSpan.FromMinutes(1), _clock.GetUtcNow())); // the last refresh, never in the future
        Assert.InRange(Price(later["tether"]), 0.99, 1.01);
        Assert.InRange(Math.Abs(Math.Log(Price(later["bitcoin"]) / Price(before["bitcoin"]))), 1e-9, 0.2);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public async Task The_jump_probability_sets_how_often_coins_jump(double probability)
    {
        await StartAsync(new SimulatorOptions { RefreshInterval = TimeSpan.FromMinutes(1), RateLimitPerMinute = 0, JumpProbability = probability });
        var before = (await Markets()).ToDictionary(c => c.GetProperty("id").GetString()!, Price);
        _clock.Advance(TimeSpan.FromMinutes(1));
        var after = (await Markets()).ToDictionary(c => c.GetProperty("id").GetString()!, Price);

        var bigMoves = after.Count(c => Math.Abs(Math.Log(c.Value / before[c.Key])) > 0.025);

        Assert.InRange(bigMoves, probability == 0 ? 0 : 200, probability == 0 ? 5 : 250);
    }

    [Fact]
    public async Task The_same_seed_and_clock_serve_the_same_market()
    {
        await StartAsync();
        _clock.Advance(TimeSpan.FromMinutes(10));
        var first = (await Markets()).Select(Price).ToList();
        await DisposeAsync();

        _clock.AdjustTime(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero));
        await StartAsync();
        _clock.Advance(TimeSpan.FromMinutes(10));
        var second = (await Markets()).Select(Price).ToList();

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Past_its_rate_limit_it_answers_429_with_CoinGecko_body_and_Retry_After()
    {
        await StartAsync(new SimulatorOptions { RateLimitPerMinute = 3 });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri("/api/v3/ping", UriKind.Relative), Cancel)).StatusCode);
        }

        using var limited = await Http.GetAsync(new Uri("/api/v3/ping", UriKind.Relative), Cancel);
        var body = JsonDocument.Parse(await limited.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("status");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(429, body.GetProperty("error_code").GetInt32());
        Assert.StartsWith("You've exceeded the Rate Limit.", body.GetProperty("error_message").GetString(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(60), limited.Headers.RetryAfter!.Delta);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri("/api/v3/ping", UriKind.Relative), Cancel)).StatusCode);
    }

    [Fact]
    public async Task Fault_switches_produce_errors_bad_coins_and_cut_bodies()
    {
        await StartAsync();
        await Http.PutAsJsonAsync("/simulator/faults", new SimulatorFaults { FailNext = 1, MalformedNext = 1, BadCoinRate = 1 }, Cancel);

        using var failed = await Http.GetAsync(new Uri("/api/v3/coins/markets?vs_currency=usd", UriKind.Relative), Cancel);
        var cut = await Http.GetStringAsync(new Uri("/api/v3/coins/markets?vs_currency=usd", UriKind.Relative), Cancel);
        var bad = await Markets();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(cut));
        Assert.All(bad, c => Assert.True(
            c.GetProperty("id").ValueKind == JsonValueKind.Null
            || c.GetProperty("current_price").ValueKind == JsonValueKind.Null
            || c.GetProperty("current_price").GetDouble() < 0
            || c.GetProperty("last_updated").GetString() == "sometime yesterday"));
        var stats = (await Http.GetFromJsonAsync<SimulatorStats>("/simulator/stats", Cancel))!;
        Assert.Equal((1, 1, 100 + 250), (stats.Errors, stats.Malformed, stats.BadCoins)); // the cut body held 100 bad coins too
    }

    [Fact]
    public async Task Invalid_fault_settings_and_parameters_are_refused()
    {
        await StartAsync();

        using var faults = await Http.PutAsJsonAsync("/simulator/faults", new SimulatorFaults { ErrorRate = 3 }, Cancel);
        using var currency = await Http.GetAsync(new Uri("/api/v3/coins/markets?vs_currency=doge-dollars", UriKind.Relative), Cancel);
        using var perPage = await Http.GetAsync(new Uri("/api/v3/coins/markets?vs_currency=usd&per_page=1000", UriKind.Relative), Cancel);
        using var missing = await Http.GetAsync(new Uri("/api/v3/coins/markets", UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, faults.StatusCode);
        Assert.Contains("ErrorRate must be between 0 and 1", await faults.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (currency.StatusCode, perPage.StatusCode, missing.StatusCode));
        Assert.Equal("Missing parameter vs_currency", JsonDocument.Parse(await missing.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("{\"ErrorRate\": ")]
    [InlineData("{\"ErrorRate\": \"lots\"}")]
    public async Task Malformed_fault_settings_get_a_400_problem_that_says_what_is_wrong(string body)
    {
        await StartAsync();

        using var response = await Http.PutAsync(new Uri("/simulator/faults", UriKind.Relative), new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("detail").GetString();
        Assert.Contains("SimulatorFaults", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simple_price_quotes_the_asked_coins_in_the_asked_currencies()
    {
        await StartAsync();

        var quote = await Http.GetFromJsonAsync<JsonElement>("/api/v3/simple/price?ids=bitcoin,ethereum&vs_currencies=usd,eur&include_market_cap=true&include_last_updated_at=true", Cancel);

        Assert.Equal(42632, quote.GetProperty("bitcoin").GetProperty("usd").GetDouble());
        Assert.Equal(42632 * 0.92, quote.GetProperty("bitcoin").GetProperty("eur").GetDouble(), 6);
        Assert.True(quote.GetProperty("ethereum").GetProperty("usd_market_cap").GetDouble() > 0);
        Assert.InRange(quote.GetProperty("ethereum").GetProperty("last_updated_at").GetInt64(), _clock.GetUtcNow().ToUnixTimeSeconds() - 60, _clock.GetUtcNow().ToUnixTimeSeconds());
    }

    private static double Price(JsonElement coin) => coin.GetProperty("current_price").GetDouble();
}
