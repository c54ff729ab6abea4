namespace CryptoEtl.ControlCenter.Browsing;

public static class TopicEndpoints
{
    public static IServiceCollection AddTopicBrowser(this IServiceCollection services) =>
        services.AddSingleton<AvroJson>().AddSingleton<TopicBrowser>();

    /// <summary>
    /// GET /api/topics: every topic with its partitions' offsets and record count. GET /api/topics/{topic}/messages
    /// (?partition=&amp;offset=&amp;limit=50&amp;key=): its records, newest first or from an offset, values decoded.
    /// </summary>
    public static void MapTopicBrowser(this WebApplication app)
    {
        app.MapGet("/api/topics", (TopicBrowser browser) => TypedResults.Ok(browser.List()))
            .WithSummary("Every topic with its partitions' oldest and end offsets");

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
