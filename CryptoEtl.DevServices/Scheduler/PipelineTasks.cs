using System.Net;
using CryptoEtl.Contracts.Api;
using CryptoEtl.Contracts.Market;

namespace CryptoEtl.DevServices.Scheduler;

/// <summary>The DAG's three tasks, as the embedded scheduler runs them (the Airflow DAG runs the same calls in Python).</summary>
public interface IPipelineTasks
{
    /// <summary>POST /runs on Ingest with the DAG run id as idempotency key; returns the ingest run id.</summary>
    Task<string> TriggerIngestAsync(string idempotencyKey, CancellationToken cancellation);

    /// <summary>Polls GET /runs/{id} until the run succeeded (returns) or failed (throws); throws when it never finishes.</summary>
    Task WaitForIngestAsync(string ingestRunId, TimeSpan timeout, TimeSpan pollInterval, CancellationToken cancellation);

    /// <summary>GET /api/pipeline/freshness on the Processor; throws unless every stage has data newer than the SLA.</summary>
    Task CheckFreshnessAsync(TimeSpan sla, IReadOnlyList<string> stages, CancellationToken cancellation);
}

/// <summary>A task that did not succeed; the scheduler retries it and records the message.</summary>
public sealed class PipelineTaskException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>False when retrying cannot help (the ingest run failed or does not exist): the DAG fails these at once too.</summary>
    public bool Retryable { get; init; } = true;
}

/// <summary>The tasks over HTTP against the Ingest and Processor services, through their typed clients.</summary>
public sealed class HttpPipelineTasks(IngestClient ingest, ProcessorClient processor, TimeProvider clock) : IPipelineTasks
{
    public async Task<string> TriggerIngestAsync(string idempotencyKey, CancellationToken cancellation)
    {
        var response = await Call(() => ingest.TriggerAsync(idempotencyKey, cancellation), "Ingest", ingest.Http, cancellation);
        return response switch
        {
            { Status: HttpStatusCode.Accepted, Value: { } run } => run.RunId,
            { Status: HttpStatusCode.Conflict } => throw new PipelineTaskException($"Ingest is busy with run {response.Problem?.ActiveRunId ?? "?"}"),
            _ => throw new PipelineTaskException($"Ingest answered {(int)response.Status} to POST /runs: {response.Problem?.Detail ?? "?"}"),
        };
    }

    public async Task WaitForIngestAsync(string ingestRunId, TimeSpan timeout, TimeSpan pollInterval, CancellationToken cancellation)
    {
        var deadline = clock.GetUtcNow() + timeout;
        while (true)
        {
            var response = await Call(() => ingest.RunAsync(ingestRunId, cancellation), "Ingest", ingest.Http, cancellation);
            if (response.Value is not { } run)
            {
                throw new PipelineTaskException($"Ingest answered {(int)response.Status} for run {ingestRunId}: {response.Problem?.Detail ?? "?"}")
                {
                    Retryable = response.Status != HttpStatusCode.NotFound,
                };
            }

            switch (run.Status)
            {
                case RunView.Succeeded:
                    return;
                case RunView.Failed:
                    throw new PipelineTaskException($"ingest run {ingestRunId} failed: {run.Error ?? "?"}") { Retryable = false };
            }

            if (clock.GetUtcNow() >= deadline)
            {
                throw new PipelineTaskException($"ingest run {ingestRunId} did not finish within {timeout}");
            }

            await Task.Delay(pollInterval, clock, cancellation);
        }
    }

    public async Task CheckFreshnessAsync(TimeSpan sla, IReadOnlyList<string> stages, CancellationToken cancellation)
    {
        var response = await Call(() => processor.FreshnessAsync(cancellation), "Processor", processor.Http, cancellation);
        if (response.Value is not { } freshness)
        {
            throw new PipelineTaskException($"Processor answered {(int)response.Status} to GET /api/pipeline/freshness");
        }

        var stale = stages
            .Select(stage => (stage, age: freshness.Stages.TryGetValue(stage, out var s) ? s.AgeSeconds : null))
            .Where(s => s.age is null || s.age > sla.TotalSeconds || s.age < -ValueContract.MaxAhead.TotalSeconds)
            .ToList();
        if (stale.Count > 0)
        {
            throw new PipelineTaskException("stale data: " + string.Join(", ", stale.Select(s => s.age switch
            {
                null => $"{s.stage} has no data",
                < 0 => $"{s.stage} has its newest event {-s.age:0}s in the future, which no real data has",
                var age => $"{s.stage} is {age:0}s old",
            })) + $" (SLA {sla.TotalSeconds:0}s)");
        }
    }

    /// <summary>A call whose failure to reach the service becomes the task's failure, naming the service and where it was looked for.</summary>
    private static async Task<ApiResponse<T>> Call<T>(Func<Task<ApiResponse<T>>> call, string service, HttpClient http, CancellationToken cancellation) where T : class
    {
        try
        {
            return await call();
        }
        catch (HttpRequestException e)
        {
            throw new PipelineTaskException($"{service} cannot be reached at {http.BaseAddress}: {e.Message}", e);
        }
        catch (Exception e) when (e is TaskCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException && !cancellation.IsCancellationRequested)
        {
            throw new PipelineTaskException($"{service} at {http.BaseAddress} did not answer in time", e);
        }
    }
}
