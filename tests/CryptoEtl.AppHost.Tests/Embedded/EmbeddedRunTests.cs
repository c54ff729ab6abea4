using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Api;
using CryptoEtl.Processor.Api;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Embedded;

/// <summary>The embedded run end to end, as `dotnet run --project CryptoEtl.AppHost` starts it (simulator source), on Aspire.Hosting.Testing.</summary>
public sealed class EmbeddedRunTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killed_processor_and_sparkjob_are_restarted_and_the_store_equals_an_uninterrupted_run()
    {
        // The production schedule (every 5 minutes) rather than dev's every minute: fewer runs to wait out at the end.
        await using var app = await PipelineApp.StartAsync(["--CRYPTOETL_ENVIRONMENT", "production"], cancellation: Cancel);
        var processor = app.CreateHttpClient("processor");
        var scheduler = app.CreateHttpClient("airflow");

        // kill -9 the loader while the first run's data flows, and the job while a second run's snapshots arrive.
        var firstTicks = await Eventually.GetAsync(() => StoredAsync(processor, "ticks"), ticks => ticks > 0, TimeSpan.FromSeconds(60), "the first ticks in the store");
        app.Kill("processor");
        await app.WaitForRestartAsync("processor", restarts: 1, Cancel);
        await TriggerRunAsync(scheduler);
        await Task.Delay(300, Cancel);
        app.Kill("sparkjob");
        await app.WaitForRestartAsync("sparkjob", restarts: 1, Cancel);
        await TriggerRunAsync(scheduler);

        // Once no run is active and both have caught up, the store holds exactly what the snapshots make. A scheduled
        // run may slip in while both sides are read: then the snapshot count moves, and both are read again.
        var (expected, actual) = await ReadWhileQuietAsync(app);

        Assert.True(expected.Snapshots > firstTicks, $"only {expected.Snapshots} snapshots: no run after the kills added any");
        Assert.Equal(expected.Ticks.Count, actual.Stats.Documents["ticks"]);
        Assert.Equal(expected.Candles.Count, actual.Stats.Documents["candles"]);
        Assert.Equal(expected.Alerts.Count, actual.Stats.Documents["alerts"]);
        Assert.Equal(expected.Latest().ToDictionary(kv => kv.Key, kv => (kv.Value.Price, kv.Value.EventTime)),
            actual.Latest.ToDictionary(c => c.Id, c => (c.Price, c.EventTime)));
        foreach (var group in expected.Candles.Values.GroupBy(c => (c.CoinId, c.Interval)))
        {
            Assert.Equal(group.OrderByDescending(c => c.WindowStart), actual.Candles[group.Key]);
        }

        Assert.Equal(expected.Alerts.Values.OrderBy(a => a.Id, StringComparer.Ordinal), actual.Alerts.OrderBy(a => a.Id, StringComparer.Ordinal));
        Assert.Equal((1, 1), (app.Restarts("processor"), app.Restarts("sparkjob")));
    }

    [Fact]
    public async Task A_run_for_stops_by_itself_and_a_second_run_on_the_same_state_directory_keeps_the_store_and_moves_new_data()
    {
        var state = Directory.CreateTempSubdirectory("cryptoetl-apphost-again").FullName;
        long first;
        await using (var app = await PipelineApp.StartAsync(["--run-for", "40s"], stateDirectory: state, cancellation: Cancel))
        {
            first = await Eventually.GetAsync(() => StoredAsync(app.CreateHttpClient("processor"), "ticks"), ticks => ticks > 0, TimeSpan.FromSeconds(40), "ticks in the store");
            // --run-for stops the run by itself, in order, with the summary.
            await app.WaitForShutdownAsync(TimeSpan.FromMinutes(3));
            var summary = await app.SummaryAsync();
            Assert.True(summary.Drain.Complete);
            Assert.InRange((summary.FinishedAt - summary.StartedAt).TotalSeconds, 40, 180);
            Assert.Equal(summary.Counts.Topics[Topics.Snapshots], summary.Counts.Collections["ticks"]);
        }

        await using var again = await PipelineApp.StartAsync(stateDirectory: state, cancellation: Cancel);
        var processor = again.CreateHttpClient("processor");
        Assert.True(await StoredAsync(processor, "ticks") >= first, "the store of the first run is kept");
        await Eventually.GetAsync(() => StoredAsync(processor, "ticks"), ticks => ticks > first, TimeSpan.FromSeconds(90), "new ticks from the second run");
        // The new broker starts empty: the job finds its old checkpoints beyond the end of the log, reads the new log from
        // its start, and carries its state on.
        Assert.Contains("its log was replaced", await again.ConsoleLogAsync("sparkjob", Cancel), StringComparison.Ordinal);
    }

    /// <summary>
    /// kill -9 of the embedded broker once a run has gone through: the AppHost restarts it empty and says what went with
    /// it (the dead letters, and nothing unconsumed), the lag can be read again within seconds, the next run publishes the
    /// whole market again, and the job and the loader take it from the new log's start with no output emitted twice.
    /// </summary>
    [Fact]
    public async Task A_broker_killed_mid_run_comes_back_empty_says_what_was_lost_and_the_pipeline_carries_on_without_duplicates()
    {
        await using var app = await PipelineApp.StartAsync(["--CRYPTOETL_ENVIRONMENT", "production"], cancellation: Cancel);
        var processor = app.CreateHttpClient("processor");
        var console = app.CreateHttpClient("control-center");
        await QuietAsync(app);
        // The runs counted below are the one this test triggers: a scheduled one (every 5 minutes) must not fall inside.
        await ClearOfScheduledRunAsync(app, TimeSpan.FromMinutes(2));
        var held = (await console.GetFromJsonAsync<JsonElement>("/api/status", Json, Cancel)).GetProperty("counts").GetProperty("topics");
        var deadLetters = held.TryGetProperty(Topics.DeadLetter, out var count) ? count.GetInt64() : 0;
        await Task.Delay(TimeSpan.FromSeconds(11), Cancel); // a status tick sees the pipeline as it is now
        var storedTicks = await StoredAsync(processor, "ticks");
        var before = await ExpectedStore.FromSnapshotsAsync(app.Endpoints["kafka"], app.Endpoints["schema-registry"], Cancel);

        app.Kill("kafka");
        var killed = Stopwatch.StartNew();
        await app.WaitForRestartAsync("kafka", restarts: 1, Cancel);
        var sparkjob = app.CreateHttpClient("sparkjob");
        await Eventually.TrueAsync(() => LagAnswers(sparkjob) && LagAnswers(processor), TimeSpan.FromSeconds(60), "/kafka/lag to answer again on the job and the loader");
        var lagBack = killed.Elapsed;
        await TriggerRunAsync(app.CreateHttpClient("airflow"));
        var republished = await QuietAsync(app);
        var recovered = killed.Elapsed;
        TestContext.Current.SendDiagnosticMessage($"kafka killed: /kafka/lag answered again after {lagBack.TotalSeconds:0.0} s, the next run was stored after {recovered.TotalSeconds:0.0} s.");

        var runs = await app.CreateHttpClient("ingest").GetFromJsonAsync<JsonElement>("/runs?limit=1", Json, Cancel);
        Assert.Equal((republished, 0), (runs[0].GetProperty("published").GetInt64(), runs[0].GetProperty("duplicates").GetInt32()));
        // The job's state outlives the log: a coin the simulator has not refreshed since the kill comes back with the
        // same event time, and is not a new tick. One tick per snapshot the old log did not hold, nothing emitted twice.
        var after = await ExpectedStore.FromSnapshotsAsync(app.Endpoints["kafka"], app.Endpoints["schema-registry"], Cancel);
        var newTicks = after.Ticks.Keys.Except(before.Ticks.Keys).LongCount();
        Assert.Equal(republished, (long)after.Snapshots);
        Assert.InRange(newTicks, 1, republished);
        var topics = (await console.GetFromJsonAsync<JsonElement>("/api/status", Json, Cancel)).GetProperty("counts").GetProperty("topics");
        Assert.Equal(newTicks, topics.GetProperty(Topics.Ticks).GetInt64());
        Assert.Equal(storedTicks + newTicks, await StoredAsync(processor, "ticks"));
        Assert.DoesNotContain("checkpointed further by another instance", await app.ConsoleLogAsync("sparkjob", Cancel), StringComparison.Ordinal);

        await app.StopAsync();
        var summary = await app.SummaryAsync();
        var loss = Assert.Single(summary.BrokerLosses);
        Assert.Equal((deadLetters, 0L), (loss.DeadLetters, loss.UnconsumedTotal));
        Assert.True(summary.Drain.Complete);
    }

    /// <summary>
    /// If the scheduler's next run is due within <paramref name="margin"/>, waits until it has been triggered and the
    /// pipeline is quiet again, so that no scheduled run falls inside what follows.
    /// </summary>
    private static async Task ClearOfScheduledRunAsync(PipelineApp app, TimeSpan margin)
    {
        var scheduler = app.CreateHttpClient("airflow");
        async Task<DateTimeOffset> NextRunAsync() =>
            (await scheduler.GetFromJsonAsync<JsonElement>("/scheduler/schedule", Cancel)).GetProperty("nextRun").GetDateTimeOffset();
        var next = await NextRunAsync();
        if (next - DateTimeOffset.UtcNow > margin)
        {
            return;
        }

        await Eventually.GetAsync(NextRunAsync, later => later > next, margin + TimeSpan.FromMinutes(1), "the scheduled run to be triggered");
        await QuietAsync(app);
    }

    private static bool LagAnswers(HttpClient service)
    {
        using var response = service.GetAsync(new Uri("/kafka/lag", UriKind.Relative), Cancel).GetAwaiter().GetResult();
        return response.IsSuccessStatusCode;
    }

    private sealed record StoredView(StatsView Stats, CoinView[] Latest, Dictionary<(string CoinId, string Interval), CandleView[]> Candles, AlertView[] Alerts);

    /// <summary>The expectation from the snapshots topic and the store through the read API, read while the pipeline holds still.</summary>
    private static async Task<(ExpectedStore Expected, StoredView Actual)> ReadWhileQuietAsync(PipelineApp app)
    {
        var processor = app.CreateHttpClient("processor");
        for (var attempt = 1; ; attempt++)
        {
            var snapshots = await QuietAsync(app);
            var expected = await ExpectedStore.FromSnapshotsAsync(app.Endpoints["kafka"], app.Endpoints["schema-registry"], Cancel);
            var from = Uri.EscapeDataString(expected.Ticks.Values.Min(t => t.EventTime).AddHours(-2).ToString("O", CultureInfo.InvariantCulture));
            var to = Uri.EscapeDataString(expected.Ticks.Values.Max(t => t.EventTime).AddHours(2).ToString("O", CultureInfo.InvariantCulture));
            var candles = new Dictionary<(string CoinId, string Interval), CandleView[]>();
            foreach (var key in expected.Candles.Values.Select(c => (c.CoinId, c.Interval)).Distinct())
            {
                candles[key] = (await processor.GetFromJsonAsync<CandleView[]>(
                    $"/api/coins/{key.CoinId}/candles?interval={key.Interval}&from={from}&to={to}&limit=1000", Json, Cancel))!;
            }

            var actual = new StoredView(
                (await processor.GetFromJsonAsync<StatsView>("/api/pipeline/stats", Json, Cancel))!,
                [.. await processor.GetAllAsync<CoinView>("/api/coins?limit=1000", Json, Cancel)],
                candles,
                (await processor.GetFromJsonAsync<AlertView[]>($"/api/alerts?since={from}&limit=1000", Json, Cancel))!);
            if (await QuietAsync(app) == snapshots)
            {
                return (expected, actual);
            }

            Assert.True(attempt < 3, "scheduled runs kept arriving while the store was read");
        }
    }

    /// <summary>Waits until no DAG run is active, the job and the loader have no lag and the snapshot count holds still; returns that count.</summary>
    private static async Task<long> QuietAsync(PipelineApp app)
    {
        var scheduler = app.CreateHttpClient("airflow");
        var processor = app.CreateHttpClient("processor");
        var console = app.CreateHttpClient("control-center");
        async Task<long> Snapshots() => (await console.GetFromJsonAsync<JsonElement>("/api/status", Json, Cancel))
            .GetProperty("counts").GetProperty("topics").TryGetProperty(Topics.Snapshots, out var count) ? count.GetInt64() : 0;
        long? previous = null;
        return await Eventually.GetAsync(async () =>
        {
            var active = (await scheduler.GetFromJsonAsync<JsonElement>("/scheduler/schedule", Cancel)).GetProperty("active").ValueKind != JsonValueKind.Null;
            var lag = (await processor.GetFromJsonAsync<FreshnessView>("/api/pipeline/freshness", Json, Cancel))!.ConsumerLag;
            var count = await Snapshots();
            var quiet = !active && lag.Values.All(l => l == 0) && count == previous;
            previous = count;
            await Task.Delay(quiet ? 0 : 1000, Cancel);
            return quiet ? count : -1;
        }, count => count >= 0, TimeSpan.FromSeconds(180), "no active run, no lag and a steady snapshot count");
    }

    internal static async Task<long> StoredAsync(HttpClient processor, string collection) =>
        (await processor.GetFromJsonAsync<StatsView>("/api/pipeline/stats", Json, Cancel))!.Documents.GetValueOrDefault(collection);

    private static async Task TriggerRunAsync(HttpClient scheduler) =>
        await Eventually.GetAsync(async () =>
        {
            using var response = await scheduler.PostAsync(new Uri("/scheduler/runs", UriKind.Relative), null, Cancel);
            return response.IsSuccessStatusCode;
        }, started => started, TimeSpan.FromSeconds(60), "the scheduler to accept a run (one runs at a time)");
}
