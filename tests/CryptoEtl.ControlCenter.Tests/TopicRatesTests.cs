using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using CryptoEtl.TestSupport;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>The topic list's produce rates, on a console of its own (the test adds a topic and records).</summary>
public sealed class TopicRatesTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_topics_produce_rate_over_its_sampled_intervals_adds_up_to_the_records_produced()
    {
        console.Infrastructure.Broker.CreateTopic("rates", 2);
        await Eventually.GetAsync(() => ProducedAsync(), samples => samples.Count >= 1, TimeSpan.FromSeconds(30), "a first rate sample for the new topic");

        using (var producer = console.Infrastructure.RawProducer())
        {
            for (var i = 0; i < 20; i++)
            {
                await producer.ProduceAsync("rates", new Message<byte[]?, byte[]?> { Value = [(byte)i] }, Cancel);
            }
        }

        // Sampled every second: once a later sample shows nothing more produced, every record is in some interval.
        var samples = await Eventually.GetAsync(() => ProducedAsync(), s => s.Any(x => x.PerSecond > 0) && s[^1].PerSecond == 0, TimeSpan.FromSeconds(30),
            "the records in one interval, then an interval without any");
        Assert.Equal(20, Math.Round(samples.Sum(s => s.PerSecond * s.Seconds)));
    }

    private async Task<List<(double Seconds, double PerSecond)>> ProducedAsync() =>
        [.. (await console.Http.GetFromJsonAsync<JsonElement>("/api/topics", Cancel)).EnumerateArray()
            .Where(t => t.GetProperty("name").GetString() == "rates")
            .SelectMany(t => t.GetProperty("produced").EnumerateArray())
            .Select(s => (s.GetProperty("seconds").GetDouble(), s.GetProperty("perSecond").GetDouble()))];
}
