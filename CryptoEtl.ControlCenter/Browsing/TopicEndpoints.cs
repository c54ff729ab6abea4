using CryptoEtl.ControlCenter.Groups;

namespace CryptoEtl.ControlCenter.Browsing;

public static class TopicEndpoints
{
    public static IServiceCollection AddTopicBrowser(this IServiceCollection services) =>
        services.AddSingleton<AvroJson>().AddSingleton<TopicBrowser>();

    /// <summary>
    /// GET /api/topics: every topic with its partitions' offsets, record count and produce rate over the last minutes. GET /api/topics/{topic}/messages
    /// (?partition=&amp;offset=&amp;limit=50&amp;key=): its records, newest first or from an offset, values decoded.
    /// </summary>
    public static void MapTopicBrowser(this WebApplication app)
    {
        app.MapGet("/api/topics", (TopicBrowser browser, ConsumerGroupMonitor monitor) =>
                TypedResults.Ok(browser.List().Select(t => t with { Produced = monitor.ProducedPerSecond(t.Name) }).ToList()))
            .WithSummary("Every topic with its partitions' oldest and end offsets, and records produced per second over the last minutes");

        app.MapGet("/api/topics/{topic}/messages", async (string topic, int? partition, long? offset, int? limit, string? key, TopicBrowser browser, CancellationToken cancellation) =>
        {
            var request = new BrowseRequest(topic, partition, offset, limit ?? 50, key);
            var found = browser.List().SingleOrDefault(t => t.Name == topic);
            if (browser.Problem(request, found) is { } problem)
            {
                return Results.Problem(problem.Detail, statusCode: problem.Status, title: problem.Status == StatusCodes.Status404NotFound ? "Unknown topic" : "Invalid request");
            }

            return Results.Ok(await browser.BrowseAsync(request, found!, cancellation));
        }).WithSummary("A topic's records, newest first or from an offset, with values decoded through the Schema Registry");
    }
}
