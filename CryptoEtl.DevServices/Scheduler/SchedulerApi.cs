namespace CryptoEtl.DevServices.Scheduler;

/// <summary>GET /scheduler/runs (the DAG run history), POST /scheduler/runs (run now), GET /scheduler/schedule.</summary>
public static class SchedulerApi
{
    public static void MapSchedulerApi(this WebApplication app)
    {
        var api = app.MapGroup("/scheduler");
        api.MapGet("/runs", async (int? limit, PipelineScheduler scheduler, CancellationToken cancellation) =>
            PageLimit.Check(limit, SchedulerHistory.MaxLimit) is { } invalid
                ? PageLimit.Problem(invalid)
                : Results.Ok(await scheduler.HistoryAsync(limit ?? 50, cancellation)));

        api.MapPost("/runs", async (PipelineScheduler scheduler, CancellationToken cancellation) =>
            await scheduler.TriggerAsync(cancellation) is { } run
                ? Results.Accepted($"/scheduler/runs", run)
                : Results.Problem($"DAG run {scheduler.Current?.DagRunId} is still active (max_active_runs = 1).", statusCode: 409, title: "A run is already active"));

        api.MapGet("/schedule", (PipelineScheduler scheduler) => Results.Ok(new
        {
            scheduler.Schedule.DagId,
            scheduler.Schedule.Cron,
            scheduler.Schedule.Catchup,
            scheduler.Schedule.Retries,
            FreshnessSlaSeconds = scheduler.Schedule.FreshnessSla.TotalSeconds,
            scheduler.NextRun,
            Active = scheduler.Current,
        }));
    }
}
