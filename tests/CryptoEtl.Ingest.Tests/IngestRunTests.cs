using System.Net.Http.Json;
using System.Text;
using Confluent.Kafka;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Api;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.DevServices.CoinGecko;
using CryptoEtl.Ingest.CoinGecko;
using CryptoEtl.Ingest.Publishing;
using CryptoEtl.Ingest.Runs;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CryptoEtl.Ingest.Tests;

/// <summary>Whole runs against the CoinGecko simulator over HTTP, the embedded Kafka and the embedded Schema Registry.</summary>
public sealed class IngestRunTests
{
    private static List<ConsumeResult<byte[]?, byte[]?>> Read(IngestHarness harness, string topic, int count) =>
        harness.Infrastructure.ReadTopic(topic, count, TimeSpan.FromSeconds(30));

    private static async Task<List<MarketSnapshot>> Snapshots(IngestHarness harness, int count)
    {
        var decoder = new ContractDecoder<MarketSnapshot>(harness.Infrastructure.Registry);
        var result = new List<MarketSnapshot>();
        foreach (var record in Read(harness, Topics.Snapshots, count))
        {
            var decoded = await decoder.DecodeAsync(record.Message.Value, Topics.Snapshots);
            Assert.True(decoded.Success, decoded.Error);
            Assert.Equal(decoded.Value!.Id, Encoding.UTF8.GetString(record.Message.Key!));
            result.Add(decoded.Value);
        }

        return result;
    }

    [Fact]
    public async Task A_run_publishes_every_coin_as_an_Avro_snapshot_keyed_by_coin_with_run_and_trace_headers()
    {
        await using var harness = await IngestHarness.StartAsync();

        var run = await harness.RunAsync();

        Assert.Equal(("succeeded", 60, 60, 0, 0, "simulator"), (run.Status, run.Fetched, run.Published, run.Duplicates, run.Rejected, run.Source));
        var records = Read(harness, Topics.Snapshots, 60);
        Assert.All(records, r => Assert.Equal(run.RunId, Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes(SnapshotPublisher.RunIdHeader))));
        Assert.All(records, r => Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("traceparent"))));
        var snapshots = await Snapshots(harness, 60);
        Assert.Equal(60, snapshots.Select(s => s.Id).Distinct().Count());
        Assert.Contains(snapshots, s => s.Id == "bitcoin" && s.Symbol == "btc" && s.MaxSupply == 21000000);
        Assert.All(snapshots, s => Assert.Equal((DataSource.Simulator, run.RunId, "usd"), (s.Source, s.RunId, s.VsCurrency)));
        Assert.All(snapshots, s => Assert.NotNull(s.PriceChangePercentage1hInCurrency));
    }

    [Fact]
    public async Task Top_N_is_fetched_across_pages()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["CoinGecko:TopN"] = "50", ["CoinGecko:PerPage"] = "20" });

        var run = await harness.RunAsync();

        Assert.Equal(("succeeded", 50, 50), (run.Status, run.Fetched, run.Published));
        Assert.Equal(3, (await harness.SimulatorStatsAsync()).Served);
        var snapshots = await Snapshots(harness, 50);
        Assert.Equal(50, snapshots.Select(s => s.Id).Distinct().Count());
        Assert.Empty(harness.Infrastructure.ReadTopic(Topics.Snapshots, 51, TimeSpan.FromSeconds(3)).Skip(50));
    }

    /// <summary>
    /// The whole market: with TopN above the market's size (20,000 coins, as large as CoinGecko's), a run reads every
    /// full page and stops at the first one that is not, and each coin is published once. The clock stands still: in a
    /// market that moves, a coin whose market cap crosses a page boundary while the run reads is read twice or not at
    /// all in that pass, as with CoinGecko itself.
    /// </summary>
    [Fact]
    public async Task With_top_N_above_the_markets_size_a_run_takes_the_whole_market_and_stops_at_its_end()
    {
        await using var harness = await IngestHarness.StartAsync(new SimulatorOptions { CoinCount = 20_000, RefreshInterval = TimeSpan.FromHours(1), RateLimitPerMinute = 0 },
            new Dictionary<string, string> { ["CoinGecko:TopN"] = "25000" }, clock: new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-10)));

        var run = await harness.RunAsync();

        Assert.Equal(("succeeded", 20_000, 20_000, 0), (run.Status, run.Fetched, run.Published, run.Rejected));
        Assert.Equal(81, (await harness.SimulatorStatsAsync()).Served); // 80 full pages, then the empty one that ends the market
        var keys = harness.Infrastructure.ReadAll(Topics.Snapshots).Select(r => Encoding.UTF8.GetString(r.Message.Key!)).ToList();
        Assert.Equal((20_000, 20_000), (keys.Count, keys.Distinct().Count()));
    }

    /// <summary>
    /// CoinGecko:Order IdAsc asks for the pages in id order (no coin moves between pages while a pass reads them): the
    /// top 30 are then the first 30 ids, not the largest caps.
    /// </summary>
    [Fact]
    public async Task In_id_order_a_run_reads_the_coins_by_id()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string>
        {
            ["CoinGecko:Order"] = "IdAsc", ["CoinGecko:TopN"] = "30", ["CoinGecko:PerPage"] = "10",
        });
        var all = await harness.SimulatorHttp.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/v3/coins/markets?vs_currency=usd&per_page=250", TestContext.Current.CancellationToken);

        var run = await harness.RunAsync();

        Assert.Equal(("succeeded", 30), (run.Status, run.Published));
        var expected = all!.Select(c => c.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).Take(30);
        Assert.Equal(expected, (await Snapshots(harness, 30)).Select(s => s.Id).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A run over the whole market takes minutes (about 7 on the public plan). Here each page comes 90 s after the one
    /// before (the clock moves as the request goes out) while the market refreshes every minute: each page is checked
    /// against the time it came, so no coin refreshed since the run began is taken for one from the future. Checked
    /// against the run's start, the 17,000-coin embedded run dead-lettered 12,015 coins of its first pass.
    /// </summary>
    [Fact]
    public async Task Coins_refreshed_while_a_long_run_reads_its_pages_are_not_taken_for_the_future()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-10)); // behind the real clock that the test's own decoder checks by
        await using var harness = await IngestHarness.StartAsync(new SimulatorOptions { CoinCount = 60, RefreshInterval = TimeSpan.FromMinutes(1), RateLimitPerMinute = 0 },
            new Dictionary<string, string>
            {
                ["CoinGecko:PerPage"] = "20", ["CoinGecko:AttemptTimeout"] = "01:00:00", ["CoinGecko:TotalTimeout"] = "02:00:00", ["Ingest:RunTimeout"] = "03:00:00",
            },
            clock: clock,
            configure: builder => builder.Services.AddHttpClient<CoinGeckoClient>().AddHttpMessageHandler(() => new ClockAdvance(clock, TimeSpan.FromSeconds(90))));

        var run = await harness.RunAsync();

        Assert.Equal(("succeeded", 60, 60, 0), (run.Status, run.Fetched, run.Published, run.Rejected));
        var snapshots = await Snapshots(harness, 60);
        Assert.True(snapshots.Max(s => s.LastUpdated) - snapshots.Min(s => s.FetchedAt) > TimeSpan.FromMinutes(2), "the pages did not span minutes");
    }

    /// <summary>Moves the clock on as each request to CoinGecko goes out.</summary>
    private sealed class ClockAdvance(FakeTimeProvider clock, TimeSpan step) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            clock.Advance(step);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task A_429_storm_is_ridden_out_honouring_Retry_After_within_the_rate_limit()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["CoinGecko:RateLimitPerMinute"] = "30" });
        await harness.SetFaultsAsync(new SimulatorFaults { RateLimitStorm = 4, RetryAfterSeconds = 1 });

        var started = DateTime.UtcNow;
        var run = await harness.RunAsync();
        var elapsed = DateTime.UtcNow - started;

        Assert.Equal("succeeded", run.Status);
        var stats = await harness.SimulatorStatsAsync();
        Assert.Equal(4, stats.RateLimited);
        Assert.Equal(1, stats.Served);
        Assert.True(stats.Requests <= 30, $"{stats.Requests} requests exceed the client's 30/min");
        Assert.True(elapsed >= TimeSpan.FromSeconds(4), $"Retry-After: 1 was not honoured between 4 retries ({elapsed})");
    }

    [Fact]
    public async Task Server_errors_and_timeouts_are_retried()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["CoinGecko:AttemptTimeout"] = "00:00:01" });
        await harness.SetFaultsAsync(new SimulatorFaults { FailNext = 2, StallNext = 1, StallMs = 10_000 });

        var run = await harness.RunAsync();

        Assert.Equal(("succeeded", 60), (run.Status, run.Published));
        var stats = await harness.SimulatorStatsAsync();
        Assert.Equal((2, 1), (stats.Errors, stats.Stalled));
    }

    [Fact]
    public async Task A_malformed_body_is_retried_and_one_that_stays_malformed_fails_the_run_not_the_service()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["CoinGecko:MaxRetries"] = "2" });
        await harness.SetFaultsAsync(new SimulatorFaults { MalformedNext = 1 });
        Assert.Equal("succeeded", (await harness.RunAsync()).Status);

        await harness.SetFaultsAsync(new SimulatorFaults { MalformedRate = 1 });
        var failed = await harness.RunAsync();

        Assert.Equal("failed", failed.Status);
        Assert.Contains("not JSON", failed.Error, StringComparison.Ordinal);
        await harness.SetFaultsAsync(new SimulatorFaults());
        Assert.Equal("succeeded", (await harness.RunAsync()).Status);
    }

    [Fact]
    public async Task Bad_coins_are_dead_lettered_with_reason_and_raw_json_and_the_good_ones_published()
    {
        await using var harness = await IngestHarness.StartAsync();
        await harness.SetFaultsAsync(new SimulatorFaults { BadCoinRate = 0.25 });

        var run = await harness.RunAsync();

        var bad = (int)(await harness.SimulatorStatsAsync()).BadCoins;
        Assert.InRange(bad, 1, 59);
        Assert.Equal(("succeeded", 60, 60 - bad, bad), (run.Status, run.Fetched, run.Published, run.Rejected));
        var decoder = new ContractDecoder<DeadLetter>(harness.Infrastructure.Registry);
        var letters = new List<DeadLetter>();
        foreach (var record in Read(harness, Topics.DeadLetter, bad))
        {
            letters.Add((await decoder.DecodeAsync(record.Message.Value, Topics.DeadLetter)).Value!);
        }

        Assert.Equal(bad, letters.Count);
        Assert.All(letters, l => Assert.Equal("ingest", l.Stage));
        Assert.All(letters, l => Assert.Contains(l.Reason, new[] { DeadLetterReasons.MissingId, DeadLetterReasons.InvalidPrice, DeadLetterReasons.InvalidTimestamp }));
        Assert.All(letters, l => Assert.StartsWith("{", Encoding.UTF8.GetString(l.Payload), StringComparison.Ordinal));
        Assert.Equal(60 - bad, (await Snapshots(harness, 60 - bad)).Count);
    }

    [Fact]
    public async Task A_second_run_before_CoinGecko_refreshes_publishes_nothing_new_even_after_a_restart()
    {
        var infrastructure = await EmbeddedInfrastructure.StartAsync();
        await using var _ = infrastructure;
        var state = Directory.CreateTempSubdirectory("ingest-dedupe").FullName;
        await using var first = await IngestHarness.StartAsync(infrastructure: infrastructure, stateDirectory: state);
        Assert.Equal(60, (await first.RunAsync()).Published);

        var second = await first.RunAsync();
        Assert.Equal(("succeeded", 0, 60), (second.Status, second.Published, second.Duplicates));

        await first.Ingest.StopAsync(TestContext.Current.CancellationToken);
        await using var restarted = await IngestHarness.StartAsync(infrastructure: infrastructure, stateDirectory: state, reuseSimulator: first.Simulator);
        var third = await restarted.RunAsync();
        Assert.Equal(("succeeded", 0, 60), (third.Status, third.Published, third.Duplicates));
        Assert.Equal(60, infrastructure.ReadTopic(Topics.Snapshots, 61, TimeSpan.FromSeconds(5)).Count);
    }

    /// <summary>kill -9 of the embedded broker: it comes back empty, and the next run publishes every coin again, not only those that moved.</summary>
    [Fact]
    public async Task After_the_broker_comes_back_empty_the_next_run_publishes_the_whole_market_again()
    {
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(restartable: true);
        await using var harness = await IngestHarness.StartAsync(infrastructure: infrastructure);
        Assert.Equal(60, (await harness.RunAsync()).Published);
        var again = await harness.RunAsync();
        Assert.Equal((0, 60), (again.Published, again.Duplicates));

        await infrastructure.RestartBrokerEmpty();
        var after = await harness.RunAsync(timeout: TimeSpan.FromSeconds(90));

        Assert.Equal(("succeeded", 60, 0), (after.Status, after.Published, after.Duplicates));
        Assert.Equal(60, infrastructure.ReadAll(Topics.Snapshots).Count);
        Assert.Contains(harness.Logs.GetSnapshot(), l => l.Message.StartsWith("Kafka lost the snapshots already published (partition", StringComparison.Ordinal));
    }

    /// <summary>
    /// The run ledger and the dedupe file on a disk that fills up: a run that cannot be recorded is refused with a 503 or
    /// fails saying why, the service stays up, and once there is room runs succeed and every file reads back.
    /// </summary>
    [Fact]
    public async Task A_full_disk_fails_runs_clearly_and_the_service_carries_on_once_there_is_room()
    {
        using var disk = SmallDisk.Mount(megabytes: 4);
        await using var harness = await IngestHarness.StartAsync(new SimulatorOptions { CoinCount = 60, RefreshInterval = TimeSpan.FromSeconds(1), RateLimitPerMinute = 0 },
            stateDirectory: disk.Path);
        Assert.Equal("succeeded", (await harness.RunAsync()).Status);

        disk.Fill();
        await Task.Delay(TimeSpan.FromSeconds(1.2), TestContext.Current.CancellationToken);
        using (var refused = await harness.Http.PostAsync(new Uri("/runs", UriKind.Relative), null, TestContext.Current.CancellationToken))
        {
            if (refused.StatusCode == System.Net.HttpStatusCode.Accepted)
            {
                var run = await harness.WaitForAsync((await refused.Content.ReadFromJsonAsync<RunView>(IngestJson.Options, TestContext.Current.CancellationToken))!.RunId);
                Assert.Equal("failed", run.Status);
                Assert.Contains("No space left on device", run.Error, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Contains("The run ledger is unavailable", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
            }
        }

        disk.Free();
        var after = await harness.RunAsync();
        Assert.Equal("succeeded", after.Status);
        Assert.True(after.Published > 0);
        Assert.Empty(Directory.GetFiles(disk.Path, "*.tmp"));
        Assert.True((await harness.Http.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Coins_that_refreshed_are_published_again()
    {
        await using var harness = await IngestHarness.StartAsync(new SimulatorOptions { CoinCount = 20, RefreshInterval = TimeSpan.FromSeconds(1), RateLimitPerMinute = 0 });
        var first = await harness.RunAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.6), TestContext.Current.CancellationToken);

        var second = await harness.RunAsync();

        Assert.Equal(20, first.Published);
        Assert.Equal(20, second.Published + second.Duplicates);
        Assert.True(second.Published > 0, "after a refresh, coins with a newer last_updated are new");
    }

    [Fact]
    public async Task Failed_deliveries_fail_the_run_with_the_count()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string>
        {
            ["Kafka:Producer:message.timeout.ms"] = "2000",
        });
        harness.Infrastructure.Broker.TakeBrokerDown(1);

        var run = await harness.RunAsync();
        harness.Infrastructure.Broker.BringBrokerUp(1);

        Assert.Equal("failed", run.Status);
        Assert.StartsWith("60 of 60 deliveries to Kafka failed", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, run.Published);
    }

    /// <summary>
    /// A stop in the middle of a run (a pass over the whole market takes minutes) records it as interrupted with what it
    /// had fetched, instead of leaving it "running" until the next start.
    /// </summary>
    [Fact]
    public async Task A_stop_during_a_run_records_it_as_interrupted_in_the_ledger()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["CoinGecko:PerPage"] = "20" });
        await harness.SetFaultsAsync(new SimulatorFaults { LatencyMs = 1000 });
        var run = await harness.TriggerAsync();
        await Eventually.GetAsync(() => harness.Http.GetFromJsonAsync<RunView>($"/runs/{run.RunId}", IngestJson.Options, TestContext.Current.CancellationToken),
            r => r!.Fetched > 0, TimeSpan.FromSeconds(30), "the first page");

        await harness.Ingest.StopAsync(TestContext.Current.CancellationToken);

        await using var store = CryptoEtl.Relational.RelationalStore.OpenSqlite(Path.Combine(harness.StateDirectory, "ingest-runs.db"));
        var recorded = await new RunLedger(store).GetAsync(run.RunId, TestContext.Current.CancellationToken);
        Assert.Equal((RunStatus.Failed, "interrupted: the Ingest service is shutting down"), (recorded!.Status, recorded.Error));
        Assert.True(recorded.Fetched is 20 or 40, $"{recorded.Fetched} fetched");
    }

    [Fact]
    public async Task A_run_that_takes_too_long_times_out()
    {
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["Ingest:RunTimeout"] = "00:00:01" });
        await harness.SetFaultsAsync(new SimulatorFaults { LatencyMs = 5000 });

        var run = await harness.RunAsync();

        Assert.Equal("failed", run.Status);
        Assert.Equal("timed out after 00:00:01", run.Error);
    }
}
