using CryptoEtl.DevServices.Hosting;
using CryptoEtl.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>
/// The market page's candlestick chart in headless Chromium, over a read API that answers with known candles and alerts
/// (the page is what is tested here; the whole embedded run's chart is checked by the AppHost's first-start test).
/// </summary>
public sealed class MarketChartPageTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = ConsoleFixture.T0;

    private EmbeddedInfrastructure _infrastructure = null!;
    private WebApplication _processor = null!;
    private ChildProcess _console = null!;
    private Uri _address = null!;

    /// <summary>Bitcoin's price and the ticks stored, as the read API answers now; a test moves them.</summary>
    private volatile StoredNow _stored = new(129.0, 30);

    private sealed record StoredNow(double Price, long Ticks);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _processor = builder.Build();
        _processor.MapGet("/api/coins", () => Results.Ok(new[]
        {
            new { id = "bitcoin", symbol = "btc", price = _stored.Price, vsCurrency = "usd", changePct = 1.5, eventTime = T0.AddMinutes(30), source = "simulator" },
        }));
        _processor.MapGet("/api/pipeline/stats", () => Results.Ok(new { store = "test", documents = new Dictionary<string, long> { ["ticks"] = _stored.Ticks } }));
        // 30 one-minute candles rising by 1 a minute (open 100 + i, close 100.5 + i), or 6 five-minute ones; newest first, as the read API gives them.
        _processor.MapGet("/api/coins/{id}/candles", (string id, string? interval) =>
        {
            var (count, minutes) = interval == "5m" ? (6, 5) : (30, 1);
            return Results.Ok(Enumerable.Range(0, count).Reverse().Select(i => new
            {
                coinId = id, interval, windowStart = T0.AddMinutes(i * minutes), windowEnd = T0.AddMinutes((i + 1) * minutes),
                open = 100.0 + i, high = 101.0 + i, low = 99.0 + i, close = 100.5 + i, volume24h = 1_000_000.0 + i, tickCount = 3, version = 1, final = true,
            }));
        });
        _processor.MapGet("/api/alerts", () => Results.Ok(new[]
        {
            new { id = "a1", coinId = "bitcoin", kind = "zscore", eventTime = T0.AddMinutes(10).AddSeconds(20), price = 110.2, message = "bitcoin: price z-score 3.4" },
            new { id = "a2", coinId = "bitcoin", kind = "window_move", eventTime = T0.AddMinutes(20), price = 120.0, message = "bitcoin: moved 5 % in 5m" },
            new { id = "a3", coinId = "ethereum", kind = "zscore", eventTime = T0.AddMinutes(12), price = 10.0, message = "ethereum: not this chart" },
        }));
        await _processor.StartAsync(Cancel);
        _console = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll",
            ["--urls=http://127.0.0.1:0", $"--ConnectionStrings:kafka={_infrastructure.BootstrapServers}", $"--ConnectionStrings:schema-registry={_infrastructure.RegistryUrl}",
             $"--services:processor:http:0={_processor.ListeningAddress()}", "--ControlCenter:LiveInterval=00:00:01"],
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" });
        _address = new Uri((await _console.WaitForLineAsync(@"Now listening on: (http://\S+)", TimeSpan.FromSeconds(60), Cancel)).Groups[1].Value);
    }

    public async ValueTask DisposeAsync()
    {
        await _console.DisposeAsync();
        await _processor.DisposeAsync();
        await _infrastructure.DisposeAsync();
    }

    [Fact]
    public async Task The_chart_draws_the_candles_with_alert_markers_reads_out_the_candle_under_the_crosshair_and_zooms()
    {
        await using var browser = await ConsoleBrowser.StartAsync(_address);
        var page = await browser.OpenAsync("market");
        var box = page.Locator("#chart-box");

        await Assertions.Expect(box).ToHaveAttributeAsync("data-candles", "30");
        await Assertions.Expect(box).ToHaveAttributeAsync("data-alerts", "2"); // bitcoin's two; ethereum's is not on this chart
        await Assertions.Expect(page.Locator("#chart canvas").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#chart-title")).ToHaveTextAsync("bitcoin: 30 1m candles (volume: 24 h volume at the close)");
        await Assertions.Expect(page.Locator("#chart-legend")).ToContainTextAsync("O 129.000  H 130.000  L 128.000  C 129.500  V 1,000,029"); // the newest, until hovered

        var area = (await page.Locator("#chart").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(area.X + (area.Width * 0.6f), area.Y + (area.Height / 2)); // the chart shows 60 bars' room: the 30 candles fill its right half
        await Assertions.Expect(page.Locator("#chart-legend")).Not.ToContainTextAsync("O 129.000");
        await Assertions.Expect(page.Locator("#chart-legend")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"O 1\d\d\.000  H 1\d\d\.000  L \d+\.000  C 1\d\d\.500  V 1,000,0\d\d$"));
        await ConsoleBrowser.SaveAsync(page, "market-chart");

        const string VisibleBars = "(() => { const r = chart.made.timeScale().getVisibleLogicalRange(); return r.to - r.from; })()";
        var before = await page.EvaluateAsync<double>(VisibleBars);
        await page.Mouse.WheelAsync(0, -600); // zoom in
        await Eventually.GetAsync(() => page.EvaluateAsync<double>(VisibleBars), bars => bars < before, TimeSpan.FromSeconds(10), "fewer bars after zooming in");

        await page.Locator("#interval").SelectOptionAsync("5m");
        await Assertions.Expect(box).ToHaveAttributeAsync("data-candles", "6");
    }

    [Fact]
    public async Task The_market_is_read_again_as_soon_as_the_pushed_status_says_more_is_stored()
    {
        await using var browser = await ConsoleBrowser.StartAsync(_address);
        var page = await browser.OpenAsync("market");
        var price = page.Locator("#coins tr[data-coin=bitcoin] td").Nth(1);
        await Assertions.Expect(price).ToHaveTextAsync("129.000 usd");
        await page.WaitForTimeoutAsync(1500); // a status reading or two with nothing new: the page keeps what it has

        _stored = new StoredNow(131.0, 31);

        // The page's own reading is every 30 s; the status is pushed every second here.
        await Assertions.Expect(price).ToHaveTextAsync("131.000 usd", new() { Timeout = 10_000 });
    }
}
