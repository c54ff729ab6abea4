using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>The console's topic browser against the embedded broker and registry, the console running as a process.</summary>
public sealed class TopicBrowserTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private readonly HttpClient _http = console.Http;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_topic_is_listed_with_its_partitions_offsets_and_record_count()
    {
        var topics = await _http.GetFromJsonAsync<JsonElement>("/api/topics", Cancel);

        var ticks = topics.EnumerateArray().Single(t => t.GetProperty("name").GetString() == Topics.Ticks);
        Assert.Equal(5, ticks.GetProperty("messages").GetInt64());
        Assert.Equal([3L, 2L, 0L, 0L, 0L, 0L], ticks.GetProperty("partitions").EnumerateArray().Select(p => p.GetProperty("high").GetInt64()));
        Assert.Equal(Topics.All.Select(t => t.Name).Order(StringComparer.Ordinal), topics.EnumerateArray().Select(t => t.GetProperty("name").GetString()!));
    }

    [Fact]
    public async Task Records_come_newest_first_with_values_decoded_through_the_registry_and_undecodable_bytes_labelled()
    {
        var records = (await _http.GetFromJsonAsync<JsonElement>($"/api/topics/{Topics.Ticks}/messages?limit=10", Cancel)).EnumerateArray().ToList();

        Assert.Equal(5, records.Count);
        var btc = records.Where(r => r.GetProperty("key").GetString() == "btc").ToList();
        Assert.Equal([101.0, 100.0], btc.Select(r => r.GetProperty("value").GetProperty("price").GetDouble())); // newest first
        Assert.Equal(("run_id", "run-1"), (btc[0].GetProperty("headers")[0].GetProperty("key").GetString(), btc[0].GetProperty("headers")[0].GetProperty("value").GetString()));
        Assert.Equal(ConsoleFixture.T0, btc[0].GetProperty("value").GetProperty("event_time").GetDateTimeOffset());
        // A value that breaks the contract is still shown as written.
        Assert.Equal("NaN", records.Single(r => r.GetProperty("key").GetString() == "doge").GetProperty("value").GetProperty("price").GetString());
        var junk = records.Single(r => r.GetProperty("key").GetString() == "junk");
        Assert.Equal(("not Confluent wire format", "hex: 010203 (3 bytes)"), (junk.GetProperty("undecodable").GetString(), junk.GetProperty("raw").GetString()));

        var fromOffset = (await _http.GetFromJsonAsync<JsonElement>($"/api/topics/{Topics.Ticks}/messages?partition=0&offset=1&limit=1", Cancel)).EnumerateArray().ToList();
        Assert.Equal(("eth", 1L), (fromOffset.Single().GetProperty("key").GetString(), fromOffset.Single().GetProperty("offset").GetInt64()));

        var byKey = (await _http.GetFromJsonAsync<JsonElement>($"/api/topics/{Topics.Ticks}/messages?key=btc", Cancel)).EnumerateArray();
        Assert.Equal(["btc", "btc"], byKey.Select(r => r.GetProperty("key").GetString()));
    }

    [Theory]
    [InlineData("/api/topics/nope/messages", HttpStatusCode.NotFound, "There is no topic \"nope\".")]
    [InlineData("/api/topics/crypto.market.ticks/messages?limit=0", HttpStatusCode.BadRequest, "limit must be between 1 and 500 (got 0).")]
    [InlineData("/api/topics/crypto.market.ticks/messages?limit=100000", HttpStatusCode.BadRequest, "limit must be between 1 and 500 (got 100000).")]
    [InlineData("/api/topics/crypto.market.ticks/messages?limit=abc", HttpStatusCode.BadRequest, "limit must be a whole number (got \"abc\").")]
    [InlineData("/api/topics/crypto.market.ticks/messages?partition=6", HttpStatusCode.BadRequest, "partition must be between 0 and 5 for crypto.market.ticks (got 6).")]
    [InlineData("/api/topics/crypto.market.ticks/messages?offset=3", HttpStatusCode.BadRequest, "offset needs a partition: offsets count per partition.")]
    [InlineData("/api/topics/crypto.market.ticks/messages?partition=0&offset=99", HttpStatusCode.BadRequest, "offset must be between 0 and 3 for partition 0 (got 99).")]
    public async Task A_bad_request_gets_a_problem_that_says_what_is_wrong(string path, HttpStatusCode status, string detail)
    {
        using var response = await _http.GetAsync(path, Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(detail, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
    }
}
