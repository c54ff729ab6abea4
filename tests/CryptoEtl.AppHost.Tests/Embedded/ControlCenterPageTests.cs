using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Embedded;

/// <summary>The embedded run's control-center page, rendered by a real browser (headless Chromium runs its script).</summary>
public sealed class ControlCenterPageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_page_shows_the_source_each_services_health_and_the_pipeline_counts()
    {
        Requires.Tool("chromium", "chromium");
        await using var app = await PipelineApp.StartAsync(cancellation: Cancel);
        var console = app.CreateHttpClient("control-center");
        await Eventually.GetAsync(async () => (await console.GetFromJsonAsync<JsonElement>("/api/status", Cancel)).GetProperty("counts").GetProperty("collections"),
            collections => collections.TryGetProperty("ticks", out var ticks) && ticks.GetInt64() > 0, TimeSpan.FromSeconds(60), "stored ticks in the status");

        var page = await ExternalTool.RunAsync("chromium",
            ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--virtual-time-budget=5000", "--dump-dom", app.Endpoints["control-center"]],
            timeout: TimeSpan.FromSeconds(90), cancellation: Cancel);

        Assert.True(page.ExitCode == 0, page.Error);
        var dom = page.Output;
        Assert.Contains("<span id=\"source\">simulator</span>", dom, StringComparison.Ordinal);
        Assert.DoesNotMatch("<span id=\"updated\">(never|unreachable)</span>", dom); // the script fetched /api/status
        foreach (var service in new[] { "ingest", "sparkjob", "processor", "airflow" })
        {
            Assert.Matches(new Regex($"<td>{service}</td><td>http://[^<]+</td><td class=\"Healthy\">Healthy</td>"), dom);
        }

        Assert.Contains("<td>topics: crypto.market.snapshots</td>", dom, StringComparison.Ordinal);
        Assert.Contains("<td>collections: ticks</td>", dom, StringComparison.Ordinal);
    }
}
