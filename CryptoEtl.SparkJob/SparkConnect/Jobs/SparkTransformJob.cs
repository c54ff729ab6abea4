using System.Globalization;
using CryptoEtl.SparkJob.SparkConnect.Plans;
using CryptoEtl.SparkJob.SparkConnect.Streaming;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob.SparkConnect.Jobs;

/// <summary>
/// The job's queries on one Spark Connect session: submit (idempotent: a query whose name is already active is reported,
/// not started twice), status and stop. Queries are found by name among the session's active queries, which is why every
/// run of this job uses the same session id.
/// </summary>
public sealed class SparkTransformJob(SparkConnectSession session, TransformOptions transform, SparkOptions spark)
{
    private readonly StreamingQueries _queries = new(session);

    public IReadOnlyList<string> QueryNames { get; } = TransformPlans.QueryNames(transform);

    public SparkConnectSession Session => session;

    /// <summary>Starts each query that is not active yet. A query Spark refuses is reported with Spark's message; the others still start.</summary>
    public async Task<IReadOnlyList<SubmitOutcome>> SubmitAsync(IReadOnlyList<SparkQuery> queries, CancellationToken cancellation)
    {
        // Fixed into each query's checkpoint when it first starts; later runs keep what the checkpoint says.
        await session.SetConfigAsync(
        [
            new("spark.sql.shuffle.partitions", spark.ShufflePartitions.ToString(CultureInfo.InvariantCulture)),
            new("spark.sql.session.timeZone", "UTC"),
        ], cancellation);

        var active = await ActiveByNameAsync(cancellation);
        var outcomes = new List<SubmitOutcome>();
        foreach (var query in queries)
        {
            if (active.TryGetValue(query.Name, out var running))
            {
                outcomes.Add(new SubmitOutcome(query.Name, SubmitResult.AlreadyActive, running.Id, null));
                continue;
            }

            try
            {
                var started = await _queries.StartAsync(query.Plan, cancellation);
                outcomes.Add(new SubmitOutcome(query.Name, SubmitResult.Started, started.Id, null));
            }
            catch (SparkConnectException e) when (e.FromSpark)
            {
                outcomes.Add(new SubmitOutcome(query.Name, SubmitResult.Failed, null, e.Message));
            }
        }

        return outcomes;
    }

    /// <summary>Each of the job's queries: active with its status and last progress, or not running.</summary>
    public async Task<IReadOnlyList<QueryReport>> StatusAsync(CancellationToken cancellation)
    {
        var active = await ActiveByNameAsync(cancellation);
        var reports = new List<QueryReport>();
        foreach (var name in QueryNames)
        {
            if (!active.TryGetValue(name, out var query))
            {
                reports.Add(new QueryReport(name, null, null, null));
                continue;
            }

            var status = await _queries.StatusAsync(query.Id, cancellation);
            var progress = await _queries.LastProgressAsync(query.Id, cancellation);
            reports.Add(new QueryReport(name, query.Id, status, progress));
        }

        return reports;
    }

    /// <summary>Why a query (one this process knows the id of) stopped, if it failed.</summary>
    public Task<string?> FailureAsync(QueryId query, CancellationToken cancellation) => _queries.ExceptionAsync(query, cancellation);

    /// <summary>Stops every active query of the job (any cryptoetl-* query: also one of an interval no longer configured); returns them.</summary>
    public async Task<IReadOnlyList<ActiveQuery>> StopAsync(CancellationToken cancellation)
    {
        var stopped = new List<ActiveQuery>();
        var ours = (await _queries.ActiveAsync(cancellation)).Where(q => q.Name?.StartsWith(TransformPlans.NamePrefix, StringComparison.Ordinal) == true);
        foreach (var query in ours)
        {
            await _queries.StopAsync(query.Id, cancellation);
            stopped.Add(query);
        }

        return stopped;
    }

    private async Task<Dictionary<string, ActiveQuery>> ActiveByNameAsync(CancellationToken cancellation)
    {
        var names = QueryNames.ToHashSet(StringComparer.Ordinal);
        var byName = new Dictionary<string, ActiveQuery>(StringComparer.Ordinal);
        foreach (var query in await _queries.ActiveAsync(cancellation))
        {
            if (query.Name is { } name && names.Contains(name))
            {
                byName[name] = query;
            }
        }

        return byName;
    }
}

public enum SubmitResult
{
    Started,
    AlreadyActive,
    Failed,
}

public sealed record SubmitOutcome(string Name, SubmitResult Result, QueryId? Id, string? Error);

/// <summary>One of the job's queries as Spark sees it; <see cref="Id"/> is null when the query is not active.</summary>
public sealed record QueryReport(string Name, QueryId? Id, QueryStatus? Status, QueryProgress? Progress)
{
    public bool Active => Id is not null;
}
