using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using CryptoEtl.Contracts;
using Microsoft.Playwright;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>The pages' moving data pushed as server-sent events (/api/live), read by a client and by the page in Chromium.</summary>
public sealed class LiveFeedTests(ConsoleFixture console) : ConsolePageTest(console), IClassFixture<ConsoleFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_reading_is_pushed_and_a_produced_record_shows_in_the_next_topics_event()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live");
        using var response = await Fixture.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var events = new StreamReader(await response.Content.ReadAsStreamAsync(Cancel));

        var seen = new Dictionary<string, JsonElement>();
        while (seen.Count < 4)
        {
            var (name, data) = await NextAsync(events);
            seen[name] = data;
        }

        Assert.Equal(["deadletters", "groups", "status", "topics"], seen.Keys.Order(StringComparer.Ordinal));
        var before = Ticks(seen["topics"]).GetProperty("messages").GetInt64(); // 5, or 6 after the other test's record
        Assert.InRange(before, 5, 6);
        Assert.Equal(1, seen["deadletters"].GetProperty("total").GetInt64());
        Assert.Equal(before - 1, seen["groups"].EnumerateArray().Single(g => g.GetProperty("group").GetString() == "cryptoetl-processor").GetProperty("lag").GetInt64());
        Assert.Equal("unknown", seen["status"].GetProperty("source").GetString()); // the fixture names no Pipeline:Source

        using (var producer = Fixture.Infrastructure.RawProducer())
        {
            await producer.ProduceAsync(new TopicPartition(Topics.Ticks, 3), new Message<byte[]?, byte[]?> { Key = "x"u8.ToArray(), Value = [9] }, Cancel);
        }

        var waited = Stopwatch.StartNew();
        while (true)
        {
            var (name, data) = await NextAsync(events);
            if (name == "topics" && Ticks(data).GetProperty("messages").GetInt64() == before + 1)
            {
                break;
            }
        }

        // Readings are made every second here (ControlCenter:LiveInterval); a reading takes part of one.
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5), $"the record showed after {waited.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task The_page_follows_the_feed_instead_of_polling()
    {
        var page = await Browser.OpenAsync("topics");
        var ticks = page.Locator("#topics tr", new() { HasText = Topics.Ticks });
        await Assertions.Expect(ticks.Locator("td").Nth(2)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[56]$"));
        var polled = 0;
        page.Request += (_, r) => polled += new Uri(r.Url).AbsolutePath is "/api/topics" or "/api/groups" or "/api/status" or "/api/deadletters" ? 1 : 0;

        using (var producer = Fixture.Infrastructure.RawProducer())
        {
            await producer.ProduceAsync(new TopicPartition(Topics.Ticks, 4), new Message<byte[]?, byte[]?> { Key = "y"u8.ToArray(), Value = [9] }, Cancel);
        }

        var count = int.Parse(await ticks.Locator("td").Nth(2).TextContentAsync() ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await Assertions.Expect(ticks.Locator("td").Nth(2)).ToHaveTextAsync((count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.WaitForTimeoutAsync(3000);
        Assert.Equal(0, polled);
    }

    private static JsonElement Ticks(JsonElement topics) => topics.EnumerateArray().Single(t => t.GetProperty("name").GetString() == Topics.Ticks);

    /// <summary>The next event: its name and its data (one JSON line), within 15 s.</summary>
    private static async Task<(string Name, JsonElement Data)> NextAsync(StreamReader events)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        patience.CancelAfter(TimeSpan.FromSeconds(15));
        string? name = null;
        var data = new StringBuilder();
        while (await events.ReadLineAsync(patience.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line[6..]);
            }
            else if (line.Length == 0 && name is not null)
            {
                return (name, JsonDocument.Parse(data.ToString()).RootElement.Clone());
            }
        }

        throw new EndOfStreamException("the feed ended");
    }
}
