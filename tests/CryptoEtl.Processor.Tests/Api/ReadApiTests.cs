using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Api;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.Processor.Api;
using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Tests.Loading;
using CryptoEtl.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Api;

/// <summary>The read API of a running Processor, over data it loaded from Kafka.</summary>
public sealed class ReadApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private LoaderHarness _harness = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _harness = await LoaderHarness.StartAsync();
        await _harness.ProduceAsync(Topics.Ticks, [Tick("btc", 0, 100, marketCap: 600), Tick("btc", 1, 101, marketCap: 750), Tick("eth", 0, 5, marketCap: 250), Tick("doge", 0, 0.1) with { MarketCap = null }], t => t.CoinId);
        await _harness.ProduceAsync(Topics.Candles, [Candle("btc", 0, 3, 103), Candle("btc", 1, 1, 101), Candle("btc", 0, 1, 100, interval: "5m")], c => c.CoinId);
        await _harness.ProduceAsync(Topics.Alerts, [Alert("btc", 1), Alert("eth", 0)], a => a.CoinId);
        _app = CryptoEtl.Processor.ProcessorApp.Build(
        [
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:kafka={_harness.Infrastructure.BootstrapServers}",
            $"--ConnectionStrings:schema-registry={_harness.Infrastructure.RegistryUrl}",
            $"--StateDir={_harness.StateDirectory}",
            $"--Loader:ConsumerGroup={LoaderHarness.Group}",
            "--Loader:BatchInterval=00:00:00.100",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await _app.StartAsync(Cancel);
        _http = new HttpClient { BaseAddress = _app.ListeningAddress() };
        await _harness.WaitUntilLoadedAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task Coins_come_by_market_cap_with_their_share_of_the_total()
    {
        var coins = (await _http.GetFromJsonAsync<CoinView[]>("/api/coins", Json, Cancel))!;

        Assert.Equal(["btc", "eth", "doge"], coins.Select(c => c.Id));
        Assert.Equal(75, coins[0].MarketCapSharePercent!.Value, 9);
        Assert.Equal(25, coins[1].MarketCapSharePercent!.Value, 9);
        Assert.Null(coins[2].MarketCapSharePercent);
        Assert.Equal((101d, "simulator"), (coins[0].Price, coins[0].Source));
    }

    [Fact]
    public async Task Coins_come_a_page_at_a_time_with_the_next_page_in_the_Link_header()
    {
        using var first = await _http.GetAsync(new Uri("/api/coins?limit=2", UriKind.Relative), Cancel);
        var next = LinkPages.Next(first)!;
        Assert.StartsWith("/api/coins?limit=2&after=", next, StringComparison.Ordinal);
        using var second = await _http.GetAsync(new Uri(next, UriKind.Relative), Cancel);

        Assert.Equal(["btc", "eth"], (await first.Content.ReadFromJsonAsync<CoinView[]>(Json, Cancel))!.Select(c => c.Id));
        var last = Assert.Single((await second.Content.ReadFromJsonAsync<CoinView[]>(Json, Cancel))!);
        Assert.Equal("doge", last.Id);
        Assert.Null(LinkPages.Next(second));
        Assert.Equal(["btc", "eth", "doge"], (await _http.GetAllAsync<CoinView>("/api/coins?limit=1", Json, Cancel)).Select(c => c.Id));
        // Shares are of every stored coin, whatever the page.
        Assert.Equal(25, (await _http.GetAllAsync<CoinView>("/api/coins?limit=1", Json, Cancel))[1].MarketCapSharePercent!.Value, 9);
    }

    [Fact]
    public async Task One_coin_its_candles_and_alerts()
    {
        var btc = (await _http.GetFromJsonAsync<CoinView>("/api/coins/btc", Json, Cancel))!;
        var (from, to) = (Uri.EscapeDataString($"{T0:O}"), Uri.EscapeDataString($"{T0.AddHours(1):O}"));
        var candles = (await _http.GetFromJsonAsync<CandleView[]>($"/api/coins/btc/candles?interval=1m&from={from}&to={to}", Json, Cancel))!;
        var fiveMinutes = (await _http.GetFromJsonAsync<CandleView[]>($"/api/coins/btc/candles?interval=5m&from={from}&to={to}", Json, Cancel))!;
        var alerts = (await _http.GetFromJsonAsync<AlertView[]>($"/api/alerts?since={from}&limit=1", Json, Cancel))!;

        Assert.Equal(101, btc.Price);
        Assert.Equal([T0.AddMinutes(1), T0], candles.Select(c => c.WindowStart));
        Assert.Single(fiveMinutes);
        Assert.Equal("btc", Assert.Single(alerts).CoinId);
    }

    [Theory]
    [InlineData("/api/coins/BTC!", "id")]
    [InlineData("/api/coins/btc/candles?interval=fortnight", "interval")]
    [InlineData("/api/coins/btc/candles?limit=0", "limit")]
    [InlineData("/api/coins/btc/candles?limit=1001", "limit")]
    [InlineData("/api/coins/btc/candles?from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z", "from")]
    [InlineData("/api/alerts?limit=5000", "limit")]
    [InlineData("/api/coins?limit=0", "limit")]
    [InlineData("/api/coins?limit=1001", "limit")]
    [InlineData("/api/coins?after=bm9wZQ", "after")] // base64url, but not a cursor
    [InlineData("/api/coins?after=%25%25", "after")]
    [InlineData("/api/coins/btc/candles?to=0001-01-01T00:00:00Z", "to")]
    [InlineData("/api/coins/btc/candles?from=0001-01-01T00:00:00Z", "from")]
    [InlineData("/api/coins/btc/candles?to=9999-12-31T23:59:59Z", "to")]
    [InlineData("/api/alerts?since=0001-01-01T00:00:00Z", "since")]
    public async Task Bad_parameters_get_a_400_problem_naming_them(string path, string field)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("/api/alerts?since=yesterday", "since must be a date and time such as 2024-01-01T00:00:00Z (got \"yesterday\").")]
    [InlineData("/api/coins/btc/candles?limit=many", "limit must be a whole number (got \"many\").")]
    [InlineData("/api/coins/btc/candles?limit=1.5", "limit must be a whole number (got \"1.5\").")]
    [InlineData("/api/coins/btc/candles?limit=99999999999999", "limit must be a whole number (got \"99999999999999\").")]
    public async Task Unparseable_parameters_get_a_400_problem_that_names_them(string path, string message)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(message, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_document_that_cannot_be_serialized_fails_the_request_whole_instead_of_cutting_the_JSON_off()
    {
        // Values the contract keeps out of the store, put there behind its back (an older version, a hand edit).
        var store = _app.Services.GetRequiredService<CryptoEtl.Processor.Storage.IMarketStore>();
        await store.WriteAsync(CryptoEtl.Processor.Storage.StoreBatch.Reduce([Tick("zzz", 0, 1) with { MarketCap = double.NaN, Price = double.PositiveInfinity }], [], []), Cancel);

        using var response = await _http.GetAsync(new Uri("/api/coins", UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement; // whole, valid JSON
        Assert.DoesNotContain("   at ", problem.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/coins/dogwifhat")]
    [InlineData("/api/coins/dogwifhat/candles")]
    public async Task An_unknown_coin_is_a_404_problem(string path)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Unknown coin", JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Freshness_reports_newest_event_times_and_consumer_lag()
    {
        var freshness = (await _http.GetFromJsonAsync<FreshnessView>("/api/pipeline/freshness", Json, Cancel))!;

        Assert.Equal(T0.AddMinutes(1), freshness.Stages["ticks"].NewestEventTime);
        Assert.Equal((freshness.CheckedAt - T0.AddMinutes(1)).TotalSeconds, freshness.Stages["ticks"].AgeSeconds!.Value, 3);
        Assert.Equal(0, freshness.ConsumerLag["load"]);
        Assert.True(freshness.ConsumerLag.ContainsKey("transform"));
    }

    [Fact]
    public async Task Stats_count_the_documents_of_each_collection()
    {
        var stats = (await _http.GetFromJsonAsync<StatsView>("/api/pipeline/stats", Json, Cancel))!;

        Assert.Contains("LiteDB", stats.Store, StringComparison.Ordinal);
        Assert.Equal(4, stats.Documents["ticks"]);
        Assert.Equal(3, stats.Documents["candles"]);
        Assert.Equal(2, stats.Documents["alerts"]);
    }

    [Fact]
    public async Task OpenAPI_and_health_are_served()
    {
        var openApi = JsonDocument.Parse(await _http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), Cancel)).RootElement;

        Assert.True(openApi.GetProperty("paths").TryGetProperty("/api/coins/{id}/candles", out _));
        Assert.Equal("Healthy", await _http.GetStringAsync(new Uri("/health", UriKind.Relative), Cancel));
    }

    [Fact]
    public async Task Health_covers_the_store_the_loader_kafka_and_the_registry_each_by_name()
    {
        var report = await _app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel);

        Assert.Equal(["kafka", "loader", "mongodb", "schema-registry", "self"], report.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.All(report.Entries.Values, e => Assert.Equal(HealthStatus.Healthy, e.Status));
        Assert.StartsWith("LiteDB ", report.Entries["mongodb"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_does_not_answer_is_unhealthy_and_says_which_store()
    {
        var store = new OutageStore(_app.Services.GetRequiredService<IMarketStore>()) { Down = true };

        var result = await new MarketStoreHealthCheck(store).CheckHealthAsync(new HealthCheckContext(), Cancel);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Matches("^LiteDB .+ does not answer: .*simulated outage", result.Description);
    }
}
