using CryptoEtl.ControlCenter.Groups;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Browsing;

public static class TopicEndpoints
{
    public static IHostApplicationBuilder AddTopicBrowser(this IHostApplicationBuilder builder)
    {
        builder.AddKafkaClientFactory();
        builder.AddKafkaOffsets();
        builder.Services.AddSingleton<AvroJson>().AddSingleton<TopicBrowser>();
        return builder;
    }

    /// <summary>
    /// GET /api/topics: every topic with its partitions' offsets, record count and produce rate over the last minutes. GET /api/topics/{topic}/messages
    /// (?partition=&amp;offset=&amp;limit=50&amp;key=): its records, newest first or from an offset, values decoded.
    /// </summary>
    public static void MapTopicBrowser(this WebApplication app)
    {
        app.MapGet("/api/topics", async (TopicBrowser browser, ConsumerGroupMonitor monitor) =>
                await browser.ListAsync() is { } topics
                    ? Results.Ok(topics.Select(t => t with { Produced = monitor.ProducedPerSecond(t.Name) }).ToList())
                    : KafkaSilent())
            .WithSummary("Every topic with its partitions' oldest and end offsets, and records produced per second over the last minutes");

        app.MapGet("/api/topics/{topic}/messages", async (string topic, int? partition, long? offset, int? limit, string? key, TopicBrowser browser, CancellationToken cancellation) =>
        {
            var request = new BrowseRequest(topic, partition, offset, limit ?? 50, key);
            if (await browser.ListAsync() is not { } topics)
            {
                return KafkaSilent();
            }

            var found = topics.SingleOrDefault(t => t.Name == topic);
            if (browser.Problem(request, found) is { } problem)
            {
                return Results.Problem(problem.Detail, statusCode: problem.Status, title: problem.Status == StatusCodes.Status404NotFound ? "Unknown topic" : "Invalid request");
            }

            return Results.Ok(await browser.BrowseAsync(request, found!, cancellation));
        }).WithSummary("A topic's records, newest first or from an offset, with values decoded through the Schema Registry");
    }

    private static IResult KafkaSilent() =>
        Results.Problem("Kafka did not answer in time.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kafka unavailable");
}
