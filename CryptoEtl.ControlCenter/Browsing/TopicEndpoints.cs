using CryptoEtl.ControlCenter.Groups;
using CryptoEtl.ControlCenter.Producing;
using CryptoEtl.ControlCenter.Writes;
using CryptoEtl.Kafka;
using Confluent.Kafka;

namespace CryptoEtl.ControlCenter.Browsing;

public static class TopicEndpoints
{
    /// <summary>Response header: how many records a browse read to find what it returns.</summary>
    public const string ScannedHeader = "X-Records-Scanned";

    public static IHostApplicationBuilder AddTopicBrowser(this IHostApplicationBuilder builder)
    {
        builder.AddKafkaClientFactory();
        builder.AddKafkaOffsets();
        builder.Services.AddSingleton<AvroJson>().AddSingleton<TopicBrowser>().AddSingleton<RecordProducer>();
        return builder;
    }

    /// <summary>
    /// GET /api/topics: every topic with its partitions' offsets, record count and produce rate over the last minutes.
    /// GET /api/topics/{topic}/messages (?partition=&amp;offset=&amp;from=&amp;limit=50&amp;key=&amp;filter=): its records,
    /// newest first or from an offset or a time, values decoded; GET /api/topics/{topic}/export (the same, and
    /// format=jsonl|csv): them as a file. POST /api/topics/{topic}/records: writes one, Avro-encoded with the topic's schema.
    /// </summary>
    public static void MapTopicBrowser(this WebApplication app)
    {
        app.MapGet("/api/topics", async (TopicBrowser browser, ConsumerGroupMonitor monitor) =>
                await browser.ListWithRatesAsync(monitor) is { } topics ? Results.Ok(topics) : KafkaSilent())
            .WithSummary("Every topic with its partitions' oldest and end offsets, and records produced per second over the last minutes");

        app.MapGet("/api/topics/{topic}/messages", async (HttpContext context, string topic, int? partition, long? offset, DateTimeOffset? from, int? limit, string? key,
            string? filter, TopicBrowser browser, CancellationToken cancellation) =>
        {
            var (result, problem) = await BrowseAsync(browser, new BrowseRequest(topic, partition, offset, limit ?? 50, key, from), filter, cancellation);
            if (result is null)
            {
                return problem!;
            }

            context.Response.Headers[ScannedHeader] = result.Scanned.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Ok(result.Records);
        }).WithSummary("A topic's records, newest first or from an offset or a time, by key or a filter on the value, decoded through the Schema Registry");

        app.MapGet("/api/topics/{topic}/export", async (string topic, string? format, int? partition, long? offset, DateTimeOffset? from, int? limit, string? key,
            string? filter, TopicBrowser browser, CancellationToken cancellation) =>
        {
            format ??= "jsonl";
            if (!RecordExport.Formats.Contains(format))
            {
                return Invalid($"format must be {string.Join(" or ", RecordExport.Formats)} (got \"{Echo.Cut(format)}\").");
            }

            var (result, problem) = await BrowseAsync(browser, new BrowseRequest(topic, partition, offset, limit ?? 50, key, from), filter, cancellation);
            return result is null
                ? problem!
                : Results.File(System.Text.Encoding.UTF8.GetBytes(RecordExport.Write(result.Records, format)), RecordExport.ContentType(format), $"{topic}.{format}");
        }).WithSummary("The records a browse shows, as JSON lines or CSV");

        app.MapPost("/api/topics/{topic}/records", async (string topic, ProduceRequest request, TopicBrowser browser, RecordProducer producer, CancellationToken cancellation) =>
        {
            if (await browser.ListAsync(topic) is not { } topics)
            {
                return KafkaSilent();
            }

            if (topics.SingleOrDefault(t => t.Name == topic) is not { } found)
            {
                return UnknownTopic(topic);
            }

            try
            {
                var (written, refused) = await producer.ProduceAsync(topic, found.Partitions.Count, request, cancellation);
                return written is not null
                    ? Results.Created($"/api/topics/{topic}/messages?partition={written.Partition}&offset={written.Offset}&limit=1", written)
                    : Results.Problem(refused!.Detail, statusCode: refused.Status, title: refused.Title,
                        extensions: new Dictionary<string, object?> { ["errors"] = refused.Errors });
            }
            catch (ProduceException<byte[]?, byte[]?> e)
            {
                return Results.Problem($"Kafka did not take the record ({e.Error.Code}).", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kafka unavailable");
            }
        }).RequireWritable().WithSummary("Write a record to a topic: the value as JSON, Avro-encoded with the latest schema of <topic>-value");
    }

    private static async Task<(BrowseResult? Result, IResult? Problem)> BrowseAsync(TopicBrowser browser, BrowseRequest request, string? filter, CancellationToken cancellation)
    {
        if (filter is not null)
        {
            try
            {
                request = request with { Filter = RecordFilter.Parse(filter) };
            }
            catch (FilterSyntaxException e)
            {
                return (null, Invalid(e.Message));
            }
        }

        if (await browser.ListAsync(request.Topic) is not { } topics)
        {
            return (null, KafkaSilent());
        }

        var found = topics.SingleOrDefault(t => t.Name == request.Topic);
        if (browser.Problem(request, found) is { } problem)
        {
            return (null, Results.Problem(problem.Detail, statusCode: problem.Status, title: problem.Status == StatusCodes.Status404NotFound ? "Unknown topic" : "Invalid request"));
        }

        return (await browser.BrowseAsync(request, found!, cancellation), null);
    }

    private static IResult Invalid(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");

    private static IResult UnknownTopic(string topic) =>
        Results.Problem(TopicBrowser.UnknownTopic(topic), statusCode: StatusCodes.Status404NotFound, title: "Unknown topic");

    private static IResult KafkaSilent() =>
        Results.Problem("Kafka did not answer in time.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kafka unavailable");
}
