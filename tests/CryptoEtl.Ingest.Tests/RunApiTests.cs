using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts.Api;
using CryptoEtl.DevServices.CoinGecko;
using CryptoEtl.Ingest.Runs;

namespace CryptoEtl.Ingest.Tests;

/// <summary>POST /runs, GET /runs/{id}, GET /runs as the scheduler and Airflow use them.</summary>
public sealed class RunApiTests : IAsyncLifetime
{
    private IngestHarness _harness = null!;

    public async ValueTask InitializeAsync() => _harness = await IngestHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Trigger_answers_202_with_the_run_and_its_location()
    {
        using var response = await _harness.Http.PostAsync(new Uri("/runs", UriKind.Relative), null, Cancel);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var run = (await response.Content.ReadFromJsonAsync<RunView>(IngestJson.Options, Cancel))!;
        Assert.Equal($"/runs/{run.RunId}", response.Headers.Location!.ToString());
        var finished = await _harness.WaitForAsync(run.RunId);
        Assert.Equal("succeeded", finished.Status);
        Assert.NotNull(finished.DurationSeconds);
    }

    [Fact]
    public async Task A_second_trigger_while_a_run_is_active_gets_409_naming_it()
    {
        await _harness.SetFaultsAsync(new SimulatorFaults { LatencyMs = 1500 });
        var first = await _harness.TriggerAsync();

        using var second = await _harness.Http.PostAsync(new Uri("/runs", UriKind.Relative), null, Cancel);

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType!.MediaType);
        var problem = JsonDocument.Parse(await second.Content.ReadAsStringAsync(Cancel)).RootElement;
        Assert.Equal(first.RunId, problem.GetProperty("activeRunId").GetString());
        await _harness.WaitForAsync(first.RunId);
    }

    /// <summary>
    /// A scheduler that triggers the next run as soon as GET /runs/{id} says the last one finished is never told 409:
    /// the run is reported finished before its ledger entry is written, and the trigger waits for that entry. Polled as
    /// fast as it goes, 20 times.
    /// </summary>
    [Fact]
    public async Task Once_a_run_is_reported_finished_the_next_trigger_is_accepted()
    {
        for (var i = 0; i < 20; i++)
        {
            using var response = await _harness.Http.PostAsync(new Uri("/runs", UriKind.Relative), null, Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"trigger {i + 1}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
            var run = (await response.Content.ReadFromJsonAsync<RunView>(IngestJson.Options, Cancel))!;
            while ((await _harness.Http.GetFromJsonAsync<RunView>($"/runs/{run.RunId}", IngestJson.Options, Cancel))!.Status == "running")
            {
            }
        }
    }

    [Fact]
    public async Task A_repeated_Idempotency_Key_returns_the_same_run_while_running_and_after()
    {
        await _harness.SetFaultsAsync(new SimulatorFaults { LatencyMs = 1000 });
        var first = await _harness.TriggerAsync("dag-run-2026-11-24T08:00");
        var whileRunning = await _harness.TriggerAsync("dag-run-2026-11-24T08:00");
        var finished = await _harness.WaitForAsync(first.RunId);
        var afterwards = await _harness.TriggerAsync("dag-run-2026-11-24T08:00");

        Assert.Equal(first.RunId, whileRunning.RunId);
        Assert.Equal(first.RunId, afterwards.RunId);
        Assert.Equal("succeeded", afterwards.Status);
        Assert.Equal(finished.Published, afterwards.Published);
        var all = await _harness.Http.GetFromJsonAsync<RunView[]>("/runs?limit=50", IngestJson.Options, Cancel);
        Assert.Single(all!);
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_and_limited()
    {
        var first = await _harness.RunAsync();
        var second = await _harness.RunAsync();

        var listed = await _harness.Http.GetFromJsonAsync<RunView[]>("/runs?limit=1", IngestJson.Options, Cancel);

        Assert.Equal(second.RunId, Assert.Single(listed!).RunId);
        Assert.NotEqual(first.RunId, second.RunId);
    }

    /// <summary>A long run (the whole market takes minutes) shows its progress in the list too, not only on its own page.</summary>
    [Fact]
    public async Task The_list_shows_a_running_run_with_its_progress()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["CoinGecko:PerPage"] = "20" });
        await harness.SetFaultsAsync(new SimulatorFaults { LatencyMs = 1000 });
        var run = await harness.TriggerAsync();

        var listed = await CryptoEtl.TestSupport.Eventually.GetAsync(async () => (await harness.Http.GetFromJsonAsync<RunView[]>("/runs", IngestJson.Options, Cancel))!.Single(),
            r => r.Fetched > 0 || r.Status != "running", TimeSpan.FromSeconds(30), "the first page's coins in the list");
        await harness.WaitForAsync(run.RunId);

        Assert.Equal("running", listed.Status);
        Assert.Contains(listed.Fetched, new[] { 20, 40 }); // three pages of 20, a second each
    }

    [Theory]
    [InlineData("/runs/no-such-run", HttpStatusCode.NotFound, "Run not found")]
    [InlineData("/runs?limit=0", HttpStatusCode.BadRequest, "Invalid limit")]
    [InlineData("/runs?limit=501", HttpStatusCode.BadRequest, "Invalid limit")]
    public async Task Bad_requests_get_problem_details(string path, HttpStatusCode status, string title)
    {
        using var response = await _harness.Http.GetAsync(new Uri(path, UriKind.Relative), Cancel);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(title, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("/runs?limit=lots", "limit must be a whole number (got \"lots\").")]
    [InlineData("/runs?limit=abc", "limit must be a whole number (got \"abc\").")]
    [InlineData("/runs?limit=1.5", "limit must be a whole number (got \"1.5\").")]
    [InlineData("/runs?limit=99999999999", "limit must be a whole number (got \"99999999999\").")]
    public async Task A_limit_that_is_not_an_integer_gets_a_400_problem_that_names_it(string path, string message)
    {
        using var response = await _harness.Http.GetAsync(new Uri(path, UriKind.Relative), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(message, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_oversized_idempotency_key_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/runs");
        request.Headers.Add(RunsApi.IdempotencyKeyHeader, new string('k', 201));

        using var response = await _harness.Http.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_service_publishes_an_OpenAPI_document_and_health()
    {
        var openApi = JsonDocument.Parse(await _harness.Http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), Cancel)).RootElement;

        Assert.True(openApi.GetProperty("paths").TryGetProperty("/runs", out _));
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/runs/{runId}", out _));
        Assert.Equal("Healthy", await _harness.Http.GetStringAsync(new Uri("/health", UriKind.Relative), Cancel));
    }
}
