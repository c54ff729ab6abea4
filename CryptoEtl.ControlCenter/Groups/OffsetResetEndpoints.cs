using CryptoEtl.ControlCenter.Writes;
using CryptoEtl.Kafka;

namespace CryptoEtl.ControlCenter.Groups;

/// <summary>A reset as the page and the API send it: <c>to</c> is earliest, latest, timestamp or offset.</summary>
public sealed record OffsetResetBody(string Topic, int[]? Partitions, string To, DateTimeOffset? Timestamp, long? Offset, bool DryRun)
{
    /// <summary>The request, or what is wrong with the body.</summary>
    public (OffsetResetRequest? Request, string? Problem) ToRequest(string group)
    {
        if (!Enum.TryParse<ResetTarget>(To, ignoreCase: true, out var target) || int.TryParse(To, out _))
        {
            return (null, $"to must be earliest, latest, timestamp or offset (got \"{Echo.Cut(To, 40)}\").");
        }

        var request = new OffsetResetRequest(group, Topic, Partitions, target, Timestamp, Offset);
        return request.Problem() is { } problem ? (null, problem) : (request, null);
    }
}

public static class OffsetResetEndpoints
{
    /// <summary>
    /// POST /api/groups/{group}/offsets/reset: moves a group's committed offsets on a topic (all partitions or those
    /// named) to the earliest, the latest, a time or an offset; with dryRun, only says where each partition would go and
    /// the lag that follows. 409 while the group has active members.
    /// </summary>
    public static void MapOffsetReset(this WebApplication app) =>
        app.MapPost("/api/groups/{group}/offsets/reset", async (string group, OffsetResetBody body, GroupOffsetReset reset, CancellationToken cancellation) =>
        {
            var (request, problem) = body.ToRequest(group);
            if (request is null)
            {
                return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "Invalid reset");
            }

            try
            {
                var result = await reset.ResetAsync(request, body.DryRun, cancellation);
                return result.Refused is null
                    ? Results.Ok(result)
                    : Results.Problem(result.Refused, statusCode: StatusCodes.Status409Conflict, title: "Group active");
            }
            catch (OffsetResetException e)
            {
                return Results.Problem(e.Message, statusCode: e.UnknownTopic ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
                    title: "Invalid reset");
            }
            catch (Confluent.Kafka.KafkaException e)
            {
                return Results.Problem($"Kafka did not answer ({e.Error.Code}).", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kafka unavailable");
            }
        }).RequireWritable().WithSummary("Reset a consumer group's offsets on a topic (earliest, latest, a time, an offset), or say what a reset would do");
}
