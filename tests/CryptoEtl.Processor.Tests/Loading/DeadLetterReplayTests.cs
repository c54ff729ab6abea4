using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CryptoEtl.Contracts;
using CryptoEtl.Contracts.Pipeline;
using CryptoEtl.ControlCenter.Replay;
using CryptoEtl.Processor.Loading;
using CryptoEtl.Processor.Storage;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Loading;

/// <summary>Dead letters sent back to their topic (the control center's replay) against a running loader.</summary>
public sealed class DeadLetterReplayTests : IAsyncLifetime
{
    private LoaderHarness _harness = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _harness = await LoaderHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_record_that_fails_again_is_not_replayed_in_a_loop_and_once_its_cause_is_fixed_it_reaches_the_store_once()
    {
        await using var store = new OutageStore(await _harness.OpenStoreAsync()) { RefusedCoin = "doge" };
        await _harness.ProduceAsync(Topics.Ticks, [Tick("btc", 0, 100), Tick("doge", 0, 0.1)], t => t.CoinId);
        var replay = new DeadLetterReplay(_harness.Infrastructure.KafkaClients(), _harness.Infrastructure.Registry);
        var filter = new ReplayFilter(Loader.Stage, DeadLetterReasons.StoreRejected);

        using (_harness.Run(store))
        {
            await DeadLettersAsync(1);

            // The cause is not fixed: the replayed record fails again and comes back marked as a replay.
            Assert.Equal((1, 0), Counts(await replay.ReplayAsync(filter, dryRun: false, Cancel)));
            var again = (await DeadLettersAsync(2))[1];
            Assert.Equal("crypto.deadletter/", Encoding.UTF8.GetString(again.Headers.Single(h => h.Key == DeadLetterReplay.ReplayHeader).Value!)[..18]);

            // A second replay leaves it alone, so nothing loops; a dry run counts without sending.
            Assert.Equal((0, 1), Counts(await replay.ReplayAsync(filter, dryRun: false, Cancel)));
            Assert.Equal((0, 0), Counts(await replay.ReplayAsync(filter, dryRun: true, Cancel)));

            // Fixed: asked to, the replay sends both dead letters of the tick (a pass of its own) and the tick is stored, once.
            store.RefusedCoin = null;
            var fixedReplay = await replay.ReplayAsync(new ReplayFilter(Loader.Stage, DeadLetterReasons.StoreRejected, IncludeFailedReplays: true), dryRun: false, Cancel);
            Assert.Equal((2, 0), Counts(fixedReplay));
            await Eventually.GetAsync(() => store.TicksAsync("doge", DateTimeOffset.MinValue, DateTimeOffset.MaxValue, 10, Cancel), ticks => ticks.Count == 1,
                TimeSpan.FromSeconds(30), "the replayed doge tick in the store");
            await _harness.WaitUntilLoadedAsync();
        }

        Assert.Equal(2, (await store.CountsAsync(Cancel))[Collections.Ticks]);
        Assert.Equal(2, (await _harness.DeadLettersAsync()).Count);
        Assert.Equal(0, (await replay.ReplayAsync(new ReplayFilter(Loader.Stage, DeadLetterReasons.StoreRejected, IncludeFailedReplays: true), dryRun: false, Cancel)).Read);
    }

    [Fact]
    public async Task The_command_line_replays_with_a_filter_and_refuses_to_start_without_Kafka()
    {
        await _harness.ProduceRawAsync(Topics.Ticks, [1, 2, 3]); // not Confluent wire format: dead-lettered as such
        using (_harness.Run(new OutageStore(await _harness.OpenStoreAsync())))
        {
            await DeadLettersAsync(1);
        }

        await using (var replay = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll",
            ["replay", "--stage", Loader.Stage, "--dry-run", $"--ConnectionStrings:kafka={_harness.Infrastructure.BootstrapServers}",
             $"--ConnectionStrings:schema-registry={_harness.Infrastructure.RegistryUrl}"]))
        {
            Assert.Equal(0, await replay.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Would replay 1 dead letter(s) of 1 read;", replay.Transcript, StringComparison.Ordinal);
        }

        await using var unconfigured = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll", ["replay"]);
        Assert.Equal(CryptoEtl.ControlCenter.Commands.ToolContext.BadUsage, await unconfigured.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("error: ConnectionStrings:kafka is not set", unconfigured.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_groups_dead_letters_by_stage_and_reason_replays_a_group_and_names_a_bad_filter()
    {
        await _harness.ProduceRawAsync(Topics.Ticks, [1, 2, 3]);
        using (_harness.Run(new OutageStore(await _harness.OpenStoreAsync())))
        {
            await DeadLettersAsync(1);
        }

        await using var console = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll",
            ["--urls=http://127.0.0.1:0", $"--ConnectionStrings:kafka={_harness.Infrastructure.BootstrapServers}",
             $"--ConnectionStrings:schema-registry={_harness.Infrastructure.RegistryUrl}"]);
        using var http = new HttpClient { BaseAddress = new Uri((await console.WaitForLineAsync(@"Now listening on: (http://\S+)", TimeSpan.FromSeconds(60), Cancel)).Groups[1].Value) };

        var summary = await http.GetFromJsonAsync<JsonElement>("/api/deadletters", Cancel);
        var group = Assert.Single(summary.GetProperty("groups").EnumerateArray());
        Assert.Equal((Loader.Stage, DeadLetterReasons.NotWireFormat, 1), (group.GetProperty("stage").GetString(), group.GetProperty("reason").GetString(), group.GetProperty("count").GetInt32()));
        var letter = Assert.Single(summary.GetProperty("newest").EnumerateArray());
        Assert.Equal("hex: 010203 (3 bytes)", letter.GetProperty("preview").GetString());
        Assert.Matches($@"^{Regex.Escape(Topics.Ticks)}/\d@0$", letter.GetProperty("source").GetString());

        using var bad = await http.PostAsync("/api/deadletters/replay?stage=Load!", null, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("stage must be 1-64 lower-case letters, digits or '_' (got \"Load!\").", (await bad.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString());

        using var replayed = await http.PostAsync($"/api/deadletters/replay?stage={Loader.Stage}&reason={DeadLetterReasons.NotWireFormat}", null, Cancel);
        Assert.Equal(1, (await replayed.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("replayed").GetInt32());
        Assert.Equal(2, _harness.Infrastructure.ReadAll(Topics.Ticks).Count);
    }

    private static (int Replayed, int FailedAgain) Counts(ReplayResult result) => (result.Replayed, result.FailedAfterReplay);

    private Task<List<DeadLetter>> DeadLettersAsync(int count) =>
        Eventually.GetAsync(_harness.DeadLettersAsync, letters => letters.Count == count, TimeSpan.FromSeconds(30), $"{count} dead letter(s)");
}
