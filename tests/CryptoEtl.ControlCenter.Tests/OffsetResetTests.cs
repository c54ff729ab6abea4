using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using CryptoEtl.ControlCenter.Commands;
using CryptoEtl.Kafka;
using CryptoEtl.TestSupport;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>Resetting a consumer group's offsets, from the API and the command line, against the embedded broker.</summary>
public sealed class OffsetResetTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dry_run_shows_the_lag_a_reset_would_leave_and_the_reset_then_moves_the_group_to_a_time()
    {
        var topic = await Timeline.WriteAsync(console.Infrastructure, 1, Cancel);
        var group = $"group-{Guid.NewGuid():N}";
        Commit(group, topic, 8);

        var plan = await ResetAsync(group, new { topic, to = "timestamp", timestamp = RecordOperationsTests.At(3), dryRun = true });
        var partition = plan.GetProperty("partitions").EnumerateArray().Single();
        Assert.Equal((false, 8L, 3L, 10L, 2L, 7L), (plan.GetProperty("applied").GetBoolean(), partition.GetProperty("committed").GetInt64(),
            partition.GetProperty("newOffset").GetInt64(), partition.GetProperty("end").GetInt64(), partition.GetProperty("lagBefore").GetInt64(), partition.GetProperty("lagAfter").GetInt64()));
        Assert.Equal(8, Committed(group, topic)); // a dry run commits nothing

        var done = await ResetAsync(group, new { topic, to = "timestamp", timestamp = RecordOperationsTests.At(3), dryRun = false });
        Assert.True(done.GetProperty("applied").GetBoolean());
        Assert.Equal(3, Committed(group, topic));

        Assert.Equal(0, (await ResetAsync(group, new { topic, to = "earliest", dryRun = false })).GetProperty("partitions")[0].GetProperty("newOffset").GetInt64());
        Assert.Equal(0, Committed(group, topic));
        await ResetAsync(group, new { topic, to = "offset", offset = 6, dryRun = false });
        Assert.Equal(6, Committed(group, topic));
        await ResetAsync(group, new { topic, to = "latest", dryRun = false });
        Assert.Equal(10, Committed(group, topic));
    }

    [Fact]
    public async Task A_reset_is_refused_while_the_group_has_active_members_and_goes_through_once_they_left()
    {
        var topic = await Timeline.WriteAsync(console.Infrastructure, 1, Cancel);
        var group = $"group-{Guid.NewGuid():N}";
        using (var member = new ConsumerBuilder<Ignore, Ignore>(console.Infrastructure.ConsumerConfig(group)).SetLogHandler((_, _) => { }).Build())
        {
            member.Subscribe(topic);
            await Eventually.TrueAsync(() => { member.Consume(TimeSpan.FromMilliseconds(100)); return member.Assignment.Count == 1; }, TimeSpan.FromSeconds(30), "the member is assigned the partition");
            member.Commit([new TopicPartitionOffset(topic, 0, 5)]);
            using var stop = new CancellationTokenSource();
            var polling = Task.Run(() => { while (!stop.IsCancellationRequested) { member.Consume(TimeSpan.FromMilliseconds(100)); } }, Cancel); // a live consumer

            using var refused = await console.Http.PostAsJsonAsync($"/api/groups/{group}/offsets/reset", new { topic, to = "earliest", dryRun = false }, Cancel);
            var body = await refused.Content.ReadAsStringAsync(Cancel);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains($"the group {group} has active members", body, StringComparison.Ordinal);
            Assert.Equal(5, Committed(group, topic));
            await stop.CancelAsync();
            await polling;
            member.Close();
        }

        await ResetAsync(group, new { topic, to = "earliest", dryRun = false });
        Assert.Equal(0, Committed(group, topic));
    }

    [Theory]
    [InlineData("""{"topic":"crypto.market.ticks","to":"yesterday"}""", HttpStatusCode.BadRequest, "to must be earliest, latest, timestamp or offset (got \"yesterday\").")]
    [InlineData("""{"topic":"crypto.market.ticks","to":"timestamp"}""", HttpStatusCode.BadRequest, "a reset to a timestamp needs the timestamp (ISO 8601, e.g. 2026-12-07T10:00:00Z).")]
    [InlineData("""{"topic":"crypto.market.ticks","to":"offset","offset":99,"partitions":[0]}""", HttpStatusCode.BadRequest, "offset must be between 0 and 3 for partition 0 (got 99).")]
    [InlineData("""{"topic":"crypto.market.ticks","to":"earliest","partitions":[7]}""", HttpStatusCode.BadRequest, "partition must be between 0 and 5 for crypto.market.ticks (got 7).")]
    [InlineData("""{"topic":"nope","to":"earliest"}""", HttpStatusCode.NotFound, "There is no topic \"nope\".")]
    public async Task A_reset_that_cannot_be_carried_out_says_why(string body, HttpStatusCode status, string detail)
    {
        using var response = await console.Http.PostAsync("/api/groups/someone/offsets/reset", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(detail, JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_line_plans_by_default_executes_when_told_and_refuses_an_active_group()
    {
        var topic = await Timeline.WriteAsync(console.Infrastructure, 2, Cancel);
        var group = $"group-{Guid.NewGuid():N}";
        Commit(group, topic, 1);
        string[] connection = [$"--ConnectionStrings:kafka={console.Infrastructure.BootstrapServers}"];

        var (code, transcript) = await RunAsync(["reset-offsets", "--group", group, "--topic", topic, "--partitions", "0", "--to-latest", .. connection]);
        Assert.True(code == 0, transcript);
        Assert.Contains($"Dry run: {group} on {topic} would go from lag 4 to 0; add --execute to commit.", transcript, StringComparison.Ordinal);
        Assert.Equal(1, Committed(group, topic));

        (code, transcript) = await RunAsync(["reset-offsets", "--group", group, "--topic", topic, "--to-datetime", RecordOperationsTests.At(4).ToString("O"), "--execute", .. connection]);
        Assert.True(code == 0, transcript);
        Assert.Contains($"Reset {group} on {topic}:", transcript, StringComparison.Ordinal);
        Assert.Equal((2L, 2L), (Committed(group, topic, 0), Committed(group, topic, 1))); // minute 4 is offset 2 of partition 0; minute 5 offset 2 of partition 1

        (code, transcript) = await RunAsync(["reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--to-latest", .. connection]);
        Assert.Equal((ToolContext.BadUsage, true), (code, transcript.Contains("give exactly one of", StringComparison.Ordinal)));

        using var member = new ConsumerBuilder<Ignore, Ignore>(console.Infrastructure.ConsumerConfig(group)).SetLogHandler((_, _) => { }).Build();
        member.Subscribe(topic);
        await Eventually.TrueAsync(() => { member.Consume(TimeSpan.FromMilliseconds(100)); return member.Assignment.Count == 2; }, TimeSpan.FromSeconds(30), "the member is assigned both partitions");
        member.Commit([new TopicPartitionOffset(topic, 0, 2), new TopicPartitionOffset(topic, 1, 2)]);
        using var stop = new CancellationTokenSource();
        var polling = Task.Run(() => { while (!stop.IsCancellationRequested) { member.Consume(TimeSpan.FromMilliseconds(100)); } }, Cancel);
        (code, transcript) = await RunAsync(["reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute", .. connection]);
        await stop.CancelAsync();
        await polling;
        Assert.Equal(ResetOffsetsCommand.Refused, code);
        Assert.Contains("has active members", transcript, StringComparison.Ordinal);
        Assert.Equal(2, Committed(group, topic));
        member.Close();
    }

    private static async Task<(int Code, string Transcript)> RunAsync(string[] arguments)
    {
        await using var tool = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll", arguments);
        var code = await tool.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, tool.Transcript);
    }

    private async Task<JsonElement> ResetAsync(string group, object body)
    {
        using var response = await console.Http.PostAsJsonAsync($"/api/groups/{group}/offsets/reset", body, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private void Commit(string group, string topic, long offset)
    {
        using var consumer = console.Infrastructure.RawConsumer(group);
        consumer.Commit(Enumerable.Range(0, consumer.EndsNow(topic).Count).Select(p => new TopicPartitionOffset(topic, p, offset)));
    }

    private long Committed(string group, string topic, int partition = 0)
    {
        using var consumer = console.Infrastructure.RawConsumer(group);
        return consumer.Committed([new TopicPartition(topic, partition)], TimeSpan.FromSeconds(10)).Single().Offset.Value;
    }
}
