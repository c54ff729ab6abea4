using CryptoEtl.SparkJob.SparkConnect.Protocol;

namespace CryptoEtl.SparkJob.SparkConnect.Streaming;

/// <summary>Structured Streaming over Spark Connect: start a query, list the session's active ones, ask one for its status, stop it.</summary>
public sealed class StreamingQueries(SparkConnectSession session)
{
    /// <summary>Starts the query the plan describes (a WriteStreamOperationStart command); Spark answers with its id and run id.</summary>
    public async Task<ActiveQuery> StartAsync(Plan plan, CancellationToken cancellation)
    {
        var responses = await session.ExecuteAsync(plan, cancellation);
        var result = responses.Select(r => r.WriteStreamOperationStartResult).FirstOrDefault(r => r?.QueryId is not null)
            ?? throw new SparkConnectException($"Spark answered the start of query '{plan.Command?.WriteStreamOperationStart?.QueryName}' without the query's id.");
        return new ActiveQuery(new QueryId(result.QueryId.Id, result.QueryId.RunId), result.Name.Length > 0 ? result.Name : null);
    }

    /// <summary>The active queries of this session (spark.streams.active).</summary>
    public async Task<IReadOnlyList<ActiveQuery>> ActiveAsync(CancellationToken cancellation)
    {
        var result = await ManagerAsync(new StreamingQueryManagerCommand { Active = true }, cancellation);
        return result.Active?.ActiveQueries.Select(q => new ActiveQuery(new QueryId(q.Id.Id, q.Id.RunId), q.HasName && q.Name.Length > 0 ? q.Name : null)).ToList()
            ?? throw new SparkConnectException("Spark answered the list of active queries without the list.");
    }

    public async Task<QueryStatus> StatusAsync(QueryId query, CancellationToken cancellation)
    {
        var result = await QueryAsync(query, c => c.Status = true, cancellation);
        var status = result.Status ?? throw new SparkConnectException($"Spark answered the status of query {query.Id} without a status.");
        return new QueryStatus(status.StatusMessage, status.IsDataAvailable, status.IsTriggerActive, status.IsActive);
    }

    /// <summary>The query's last progress report (Spark's StreamingQueryProgress JSON), or null before its first batch.</summary>
    public async Task<QueryProgress?> LastProgressAsync(QueryId query, CancellationToken cancellation)
    {
        var result = await QueryAsync(query, c => c.LastProgress = true, cancellation);
        return result.RecentProgress?.RecentProgressJson.LastOrDefault() is { Length: > 0 } json ? QueryProgress.Parse(json) : null;
    }

    /// <summary>Why the query stopped, or null if it did not fail.</summary>
    public async Task<string?> ExceptionAsync(QueryId query, CancellationToken cancellation)
    {
        var result = await QueryAsync(query, c => c.Exception = true, cancellation);
        return result.Exception is { HasExceptionMessage: true } failure ? failure.ExceptionMessage : null;
    }

    public Task StopAsync(QueryId query, CancellationToken cancellation) => QueryAsync(query, c => c.Stop = true, cancellation);

    private async Task<StreamingQueryCommandResult> QueryAsync(QueryId query, Action<StreamingQueryCommand> set, CancellationToken cancellation)
    {
        var command = new StreamingQueryCommand { QueryId = new StreamingQueryInstanceId { Id = query.Id, RunId = query.RunId } };
        set(command);
        var responses = await session.ExecuteAsync(new Plan { Command = new Command { StreamingQueryCommand = command } }, cancellation);
        return responses.Select(r => r.StreamingQueryCommandResult).FirstOrDefault(r => r is not null)
            ?? throw new SparkConnectException($"Spark answered a command on query {query.Id} without its result.");
    }

    private async Task<StreamingQueryManagerCommandResult> ManagerAsync(StreamingQueryManagerCommand command, CancellationToken cancellation)
    {
        var responses = await session.ExecuteAsync(new Plan { Command = new Command { StreamingQueryManagerCommand = command } }, cancellation);
        return responses.Select(r => r.StreamingQueryManagerCommandResult).FirstOrDefault(r => r is not null)
            ?? throw new SparkConnectException("Spark answered a streaming query manager command without its result.");
    }
}

/// <summary>A query's id (kept across restarts from its checkpoint) and run id (new for every start).</summary>
public sealed record QueryId(string Id, string RunId);

public sealed record ActiveQuery(QueryId Id, string? Name);

/// <summary>Spark's StreamingQueryStatus.</summary>
public sealed record QueryStatus(string Message, bool IsDataAvailable, bool IsTriggerActive, bool IsActive);
