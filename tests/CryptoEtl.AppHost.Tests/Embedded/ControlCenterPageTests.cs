using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CryptoEtl.AppHost.Embedded;
using CryptoEtl.AppHost.Testing;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Embedded;

/// <summary>The embedded run's control-center page, rendered by a real browser (headless Chromium runs its script).</summary>
public sealed class ControlCenterPageTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_page_shows_the_source_every_resource_state_and_the_pipeline_counts()
    {
        Requires.Tool("chromium", "chromium");
        await using var app = await TestingAppHost.StartAsync(cancellation: Cancel);
        var status = app.CreateHttpClient("control-center");
        await Eventually.GetAsync(async () => (await status.GetFromJsonAsync<DashboardStatus>("/api/status", Json, Cancel))!.Counts.Collections.GetValueOrDefault("ticks"),
            ticks => ticks > 0, TimeSpan.FromSeconds(60), "stored ticks in the status");

        var page = await ExternalTool.RunAsync("chromium",
            ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", app.Endpoints["control-center"]],
            timeout: TimeSpan.FromSeconds(90), cancellation: Cancel);

        Assert.True(page.ExitCode == 0, page.Error);
        var dom = page.Output;
        Assert.Contains("<span id=\"source\">simulator</span>", dom, StringComparison.Ordinal);
        Assert.DoesNotMatch("<span id=\"updated\">(never|unreachable)</span>", dom); // the script fetched /api/status
        foreach (var service in new[] { "ingest", "sparkjob", "processor" })
        {
            Assert.Matches(new Regex($"<td>{service}</td><td>[^<]*</td><td class=\"Running\">Running</td>"), dom);
        }

        Assert.Contains("<td>topics: crypto.market.snapshots</td>", dom, StringComparison.Ordinal);
        Assert.Contains("<td>collections: ticks</td>", dom, StringComparison.Ordinal);
    }
}
