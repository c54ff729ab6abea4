using CryptoEtl.Contracts.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CryptoEtl.Ingest.Runs;

/// <summary>The run API the scheduler and the Airflow DAG call: POST /runs, GET /runs/{id}, GET /runs?limit=N.</summary>
public static class RunsApi
{
    public const string IdempotencyKeyHeader = IngestClient.IdempotencyKeyHeader;
    public const int MaxLimit = 500;

    public static void MapRunsApi(this WebApplication app)
    {
        var runs = app.MapGroup("/runs").WithTags("Runs");

        runs.MapPost("/", Trigger)
            .WithSummary("Start one extraction run")
            .WithDescription("202 with the run; 409 while another run is active; a repeated Idempotency-Key returns the run it started.");

        runs.MapGet("/{runId}", async Task<Results<Ok<RunView>, ProblemHttpResult>> (string runId, RunCoordinator coordinator, CancellationToken cancellation) =>
                await coordinator.GetAsync(runId, cancellation) is { } run
                    ? TypedResults.Ok(run.View())
                    : TypedResults.Problem($"No run '{runId}'.", statusCode: StatusCodes.Status404NotFound, title: "Run not found"))
            .WithSummary("One run: status, timings, counts, error");

        runs.MapGet("/", async Task<Results<Ok<RunView[]>, ProblemHttpResult>> (int? limit, RunCoordinator coordinator, CancellationToken cancellation) =>
            {
                if (PageLimit.Check(limit, MaxLimit) is { } invalid)
                {
                    return PageLimit.Problem(invalid);
                }

                return TypedResults.Ok((await coordinator.ListAsync(limit ?? 20, cancellation)).Select(RunViews.View).ToArray());
            })
            .WithSummary("The newest runs first");
    }

    private static async Task<IResult> Trigger(HttpRequest request, RunCoordinator coordinator, CancellationToken cancellation)
    {
        string? key = request.Headers[IdempotencyKeyHeader];
        if (key is not null && (key.Length is 0 or > 200 || key.Any(char.IsControl)))
        {
            return TypedResults.Problem("The Idempotency-Key header must be 1 to 200 printable characters.", statusCode: StatusCodes.Status400BadRequest, title: "Invalid Idempotency-Key");
        }

        var result = await coordinator.TriggerAsync(key, cancellation);
        var view = result.Run.View();
        return result.Outcome switch
        {
            TriggerOutcome.Busy => TypedResults.Problem($"Run {result.Run.RunId} is still running; try again when it has finished.",
                statusCode: StatusCodes.Status409Conflict, title: "A run is already active", extensions: new Dictionary<string, object?> { ["activeRunId"] = result.Run.RunId }),
            _ => TypedResults.Accepted($"/runs/{view.RunId}", view),
        };
    }
}

public static class RunViews
{
    /// <summary>The run as the API shows it.</summary>
    public static RunView View(this IngestRun run) => new(run.RunId, run.Status.ToString().ToLowerInvariant(), run.IdempotencyKey, run.Source,
        run.RequestedAt, run.StartedAt, run.FinishedAt, run.Duration?.TotalSeconds, run.Fetched, run.Published, run.Duplicates, run.Rejected, run.Error);
}
