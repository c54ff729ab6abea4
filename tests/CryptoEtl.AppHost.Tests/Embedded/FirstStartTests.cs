using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CryptoEtl.AppHost.Running;
using CryptoEtl.Contracts;
using CryptoEtl.ControlCenter.Tests;
using CryptoEtl.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace CryptoEtl.AppHost.Tests.Embedded;

/// <summary>
/// The embedded run as a user starts it: every endpoint, the data flowing within a minute of start-up, the console's
/// pages, third-party clients, the Airflow DAG's live check, and a stop that loses nothing acknowledged.
/// </summary>
[Collection(TimedStartCollection.Name)]
public sealed class FirstStartTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly string[] Services = ["ingest", "sparkjob", "processor", "airflow", "control-center", "schema-registry", "coingecko"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_endpoint_answers_while_it_runs_and_a_stop_loses_nothing_acknowledged()
    {
        await using var app = await PipelineApp.StartAsync(cancellation: Cancel);
        Assert.All((string[])["kafka", "dashboard", .. Services], name => Assert.Contains(name, app.Endpoints.Keys));

        foreach (var service in Services)
        {
            Assert.Equal("Healthy", await app.CreateHttpClient(service).GetStringAsync(new Uri("/health", UriKind.Relative), Cancel));
        }

        Assert.Equal(JsonValueKind.Array, (await app.CreateHttpClient("schema-registry").GetFromJsonAsync<JsonElement>("/subjects", Cancel)).ValueKind);
        // What the embedded run does not start is still in the model, with what stands in for it.
        Assert.Equal("Replaced", app.Snapshot("zookeeper").State?.Text);
        Assert.Contains("local executor", app.Snapshot("spark").Properties.Single(p => p.Name == "replaced-by").Value?.ToString(), StringComparison.Ordinal);
        Assert.Equal("SQLite (embedded)", app.Snapshot("postgres").ResourceType);

        // The first run (triggered at start) reaches the store within a minute of start-up.
        var processor = app.CreateHttpClient("processor");
        var budget = TimeSpan.FromMinutes(1) - app.Startup;
        Assert.True(budget > TimeSpan.Zero, $"every resource was up only after {app.Startup.TotalSeconds:0.0} s");
        var waited = Stopwatch.StartNew();
        await Eventually.GetAsync(() => EmbeddedRunTests.StoredAsync(processor, "ticks"), ticks => ticks > 0, budget, "ticks in the store");
        TestContext.Current.SendDiagnosticMessage($"every resource up after {app.Startup.TotalSeconds:0.0} s, ticks in the store after {(app.Startup + waited.Elapsed).TotalSeconds:0.0} s");

        // The control center's pages in a real browser (headless Chromium runs their script).
        if (ConsoleBrowser.Installed)
        {
            await using var browser = await ConsoleBrowser.StartAsync(new Uri(app.Endpoints["control-center"]));
            var market = await browser.OpenAsync("market");
            await Expect(market.Locator("#chart-box")).ToHaveAttributeAsync("data-candles", new Regex("^[1-9]")); // the largest coin's candles, charted
            await Expect(market.Locator("#chart canvas").First).ToBeVisibleAsync();
            await Expect(market.Locator("#chart-legend")).ToContainTextAsync(" O "); // the newest candle's OHLC
            await ConsoleBrowser.SaveAsync(market, "embedded-market");
            // 25 coins a page by market cap, the next page from the read API's Link header through the console.
            await Expect(market.Locator("#coins tbody tr")).ToHaveCountAsync(25);
            await market.Locator("#coins-next").ClickAsync();
            await Expect(market.Locator("#coins-page")).ToHaveTextAsync("page 2");
            await Expect(market.Locator("#coins tbody tr").First).ToBeAttachedAsync();
            await Expect(market.Locator("#coins tbody tr[data-coin=\"bitcoin\"]")).ToHaveCountAsync(0);
            var pipeline = await browser.OpenAsync("pipeline");
            foreach (var filled in new[] { "#dag-runs tbody tr", "#ingest-runs tbody tr", "#services tbody tr", "#topics tbody tr", "#groups tbody tr", "#schemas tbody tr", "#coins tbody tr" })
            {
                await Expect(pipeline.Locator(filled).First).ToBeAttachedAsync();
            }

            await Expect(pipeline.Locator("#deadletter-total")).Not.ToHaveTextAsync("?");
            await ConsoleBrowser.SaveAsync(pipeline, "embedded-pipeline");
            var dom = await pipeline.ContentAsync();
            Assert.Contains("<span id=\"source\">simulator</span>", dom, StringComparison.Ordinal);
            Assert.DoesNotMatch("<span id=\"updated\">(never|unreachable)</span>", dom); // the script fetched /api/status
            foreach (var service in new[] { "ingest", "sparkjob", "processor", "airflow" })
            {
                Assert.Matches(new Regex($"<td>{service}</td><td>http://[^<]+</td><td class=\"Healthy\">Healthy</td>"), dom);
            }

            Assert.Contains("<td>topics: crypto.market.snapshots</td>", dom, StringComparison.Ordinal);
            Assert.Contains("<td>collections: ticks</td>", dom, StringComparison.Ordinal);
            Assert.Matches("<td>crypto.market.ticks</td><td>6</td><td>\\d+</td>", dom); // the script fetched /api/topics
            Assert.Matches("<td>cryptoetl-processor</td><td>crypto.market.ticks, crypto.market.candles, crypto.market.alerts</td><td>\\d+</td>", dom); // and /api/groups
            Assert.Contains("<td>crypto.market.ticks-value</td><td>1</td>", dom, StringComparison.Ordinal); // and /api/schemas
            Assert.Contains("<tr data-coin=\"bitcoin\"", dom, StringComparison.Ordinal); // the market, through the console from the read API
            Assert.Matches("<p id=\"freshness\">[^<]+ · lag transform \\d+, load \\d+</p>", dom);
            Assert.Matches("<td>(manual|scheduled)__[^<]+</td>", dom); // the scheduler's DAG runs
            Assert.Matches("<p id=\"deadletter-total\">\\d+ in the dead-letter topic; the newest \\d+ grouped:</p>", dom); // the script fetched /api/deadletters
        }

        // Third-party clients find the endpoints: kcat lists the pipeline's topics on the embedded broker.
        if (ExternalTool.Missing("kcat", "kcat") is null)
        {
            var kcat = await ExternalTool.RunAsync("kcat", ["-b", app.Endpoints["kafka"], "-L", "-J"], cancellation: Cancel);
            var topics = JsonDocument.Parse(kcat.Output).RootElement.GetProperty("topics").EnumerateArray().Select(t => t.GetProperty("topic").GetString()).ToList();
            Assert.All(Topics.All, topic => Assert.Contains(topic.Name, topics));
        }

        // The Airflow DAG's live check against the running services: trigger a run, wait for it, check freshness.
        if (File.Exists(ExternalTool.DebianPython))
        {
            var check = await ExternalTool.RunAsync(ExternalTool.DebianPython, [Path.Combine(RepositoryPaths.Root, "docker", "airflow", "tests", "live_check.py"),
                "--ingest", app.Endpoints["ingest"], "--processor", app.Endpoints["processor"], "--key", $"e2e-{Guid.NewGuid():N}", "--sla", "600", "--timeout", "120", "--freshness-wait", "60"],
                timeout: TimeSpan.FromMinutes(4), cancellation: Cancel);
            Assert.True(check.ExitCode == 0, $"live_check.py failed:\n{check.Output}\n{check.Error}");
        }

        // A stop in the middle of a run.
        using var trigger = await app.CreateHttpClient("airflow").PostAsync(new Uri("/scheduler/runs", UriKind.Relative), null, Cancel);
        await app.StopAsync();

        var summary = await app.SummaryAsync();
        Assert.Equal(("embedded", "simulator"), (summary.Mode, summary.Source));
        Assert.True(summary.Drain.Complete, string.Join(", ", summary.Drain.Remaining));
        var counts = summary.Counts;
        Assert.All(new[] { Topics.Snapshots, Topics.Ticks, Topics.Candles }, topic => Assert.True(counts.Topics[topic] > 0, $"{topic}: {counts.Topics[topic]}"));
        Assert.True(counts.Runs.GetValueOrDefault("succeeded") >= 2, $"runs: {string.Join(", ", counts.Runs)}");
        // Nothing acknowledged is lost: every snapshot on the topic became a tick, and every tick and candle window was stored.
        Assert.Equal(counts.Topics[Topics.Snapshots], counts.Topics[Topics.Ticks]);
        Assert.Equal(counts.Topics[Topics.Ticks], counts.Collections["ticks"]);
        Assert.True(counts.Collections["candles"] > 0 && counts.Collections["latest"] > 0);
        Assert.All(summary.Resources.Where(r => r.Name is "ingest" or "sparkjob" or "processor"),
            r => Assert.Equal((RunReport.StoppedState, 0), (r.State, r.Restarts)));
        Assert.Equal(app.Endpoints.Keys.Order(), summary.Endpoints.Keys.Order());
    }
}

/// <summary>
/// The tests that hold the start-up promise (data flowing within a minute), one at a time after this assembly's other
/// tests: two pipelines of a dozen processes starting at once on two cores would time the harness, not the start.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedStartCollection
{
    public const string Name = "Timed start";
}
