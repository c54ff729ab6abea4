using System.Text.RegularExpressions;
using CryptoEtl.ControlCenter.Writes;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Replay;

public static partial class DeadLetterEndpoints
{
    public const string ReplayPath = "/api/deadletters/replay";

    public static IHostApplicationBuilder AddDeadLetters(this IHostApplicationBuilder builder)
    {
        builder.AddSchemaRegistryClient();
        builder.AddKafkaClientFactory();
        builder.Services.AddSingleton<DeadLetterBrowser>();
        builder.Services.AddSingleton<DeadLetterReplay>();
        return builder;
    }

    /// <summary>
    /// GET /api/deadletters: counts by stage and reason, and the newest dead letters. POST /api/deadletters/replay
    /// (?stage=&amp;reason=&amp;includeFailedReplays=&amp;dryRun=): sends them back to their topics; one replay at a time.
    /// </summary>
    public static void MapDeadLetters(this WebApplication app)
    {
        app.MapGet("/api/deadletters", async (DeadLetterBrowser browser, CancellationToken cancellation) => TypedResults.Ok(await browser.SummarizeAsync(cancellation)))
            .WithSummary("The newest dead letters, grouped by stage and reason");

        app.MapPost(ReplayPath, async (string? stage, string? reason, bool? includeFailedReplays, bool? dryRun, DeadLetterReplay replay, CancellationToken cancellation) =>
        {
            foreach (var (name, value) in new[] { ("stage", stage), ("reason", reason) })
            {
                if (value is not null && !Name().IsMatch(value))
                {
                    return Results.Problem($"{name} must be 1-64 lower-case letters, digits or '_' (got \"{value[..Math.Min(value.Length, 64)]}\").",
                        statusCode: StatusCodes.Status400BadRequest, title: $"Invalid {name}");
                }
            }

            var result = await replay.TryReplayAsync(new ReplayFilter(stage, reason, includeFailedReplays ?? false), dryRun ?? false, cancellation);
            return result is null
                ? Results.Problem("Another replay is running; try again when it has finished.", statusCode: StatusCodes.Status409Conflict, title: "Replay running")
                : Results.Ok(new { result.Replayed, result.FailedAfterReplay, result.NoSourceTopic, result.Cut, result.Undecodable, result.Read, result.DryRun, Message = result.Describe() });
        }).RequireWritable().WithSummary("Send dead letters back to the topic they came from");
    }

    [GeneratedRegex("^[a-z0-9_]{1,64}$")]
    private static partial Regex Name();
}
