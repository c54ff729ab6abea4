using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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

/// <summary>The tasks over HTTP against the Ingest and Processor services.</summary>
public sealed class HttpPipelineTasks(HttpClient http, Uri ingest, Uri processor, TimeProvider clock) : IPipelineTasks
{
    public async Task<string> TriggerIngestAsync(string idempotencyKey, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ingest, "runs"));
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await Send(request, "Ingest", cancellation);
        var body = await Json(response, cancellation);
        return response.StatusCode switch
        {
            HttpStatusCode.Accepted => body.GetProperty("runId").GetString()!,
            HttpStatusCode.Conflict => throw new PipelineTaskException($"Ingest is busy with run {Text(body, "activeRunId")}"),
            var status => throw new PipelineTaskException($"Ingest answered {(int)status} to POST /runs: {Text(body, "detail")}"),
        };
    }

    public async Task WaitForIngestAsync(string ingestRunId, TimeSpan timeout, TimeSpan pollInterval, CancellationToken cancellation)
    {
        var deadline = clock.GetUtcNow() + timeout;
        while (true)
        {
            using (var response = await Send(new HttpRequestMessage(HttpMethod.Get, new Uri(ingest, $"runs/{Uri.EscapeDataString(ingestRunId)}")), "Ingest", cancellation))
            {
                var body = await Json(response, cancellation);
                if (!response.IsSuccessStatusCode)
                {
                    throw new PipelineTaskException($"Ingest answered {(int)response.StatusCode} for run {ingestRunId}: {Text(body, "detail")}")
                    {
                        Retryable = response.StatusCode != HttpStatusCode.NotFound,
                    };
                }

                switch (body.GetProperty("status").GetString())
                {
                    case "succeeded":
                        return;
                    case "failed":
                        throw new PipelineTaskException($"ingest run {ingestRunId} failed: {Text(body, "error")}") { Retryable = false };
                }
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
        using var response = await Send(new HttpRequestMessage(HttpMethod.Get, new Uri(processor, "api/pipeline/freshness")), "Processor", cancellation);
        var body = await Json(response, cancellation);
        if (!response.IsSuccessStatusCode)
        {
            throw new PipelineTaskException($"Processor answered {(int)response.StatusCode} to GET /api/pipeline/freshness");
        }

        var stale = stages
            .Select(stage => (stage, age: body.GetProperty("stages").TryGetProperty(stage, out var s) && s.GetProperty("ageSeconds") is { ValueKind: JsonValueKind.Number } a ? a.GetDouble() : (double?)null))
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

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, string service, CancellationToken cancellation)
    {
        try
        {
            using (request)
            {
                return await http.SendAsync(request, cancellation);
            }
        }
        catch (HttpRequestException e)
        {
            throw new PipelineTaskException($"{service} cannot be reached at {request.RequestUri}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new PipelineTaskException($"{service} did not answer {request.Method} {request.RequestUri} in time", e);
        }
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response, CancellationToken cancellation)
    {
        try
        {
            return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellation)).Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string Text(JsonElement body, string property) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(property, out var value) ? value.ToString() : "?";
}
