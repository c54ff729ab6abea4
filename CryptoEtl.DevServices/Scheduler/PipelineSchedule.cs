using Cronos;

namespace CryptoEtl.DevServices.Scheduler;

/// <summary>
/// The pipeline's one schedule definition, read from docker/airflow/dags/crypto_etl_schedule.json by both the Airflow
/// DAG (crypto_etl_tasks.load_schedule) and the embedded scheduler (<see cref="ScheduleFile"/>), with the same fields,
/// rules and messages, checked against the shared test vectors in docker/airflow/tests/schedule_cases.json.
/// </summary>
public sealed record PipelineSchedule
{
    public required string DagId { get; init; }
    public required string Description { get; init; }
    public required string Cron { get; init; }
    public required CronExpression Expression { get; init; }
    public required TimeZoneInfo TimeZone { get; init; }
    public required bool Catchup { get; init; }
    public required int MaxActiveRuns { get; init; }
    public required int Retries { get; init; }
    public required TimeSpan RetryDelay { get; init; }
    public required bool RetryExponentialBackoff { get; init; }
    public required TimeSpan MaxRetryDelay { get; init; }
    public required TimeSpan IngestTimeout { get; init; }
    public required TimeSpan PollInterval { get; init; }
    public required TimeSpan FreshnessSla { get; init; }
    public required IReadOnlyList<string> FreshnessStages { get; init; }

    /// <summary>The selected environment, or null for the base values.</summary>
    public string? Environment { get; init; }

    /// <summary>The delay before try number <paramref name="tryNumber"/> (2, 3, ...), as Airflow computes it (without its jitter).</summary>
    public TimeSpan DelayBeforeTry(int tryNumber)
    {
        if (!RetryExponentialBackoff)
        {
            return RetryDelay;
        }

        var delay = RetryDelay * Math.Pow(2, Math.Max(0, tryNumber - 2));
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }

    /// <summary>Loads and validates the file; any problem throws <see cref="ScheduleException"/> naming the file and the field.</summary>
    public static PipelineSchedule Load(string path, string? environment = null) => ScheduleFile.Load(path, environment);
}

/// <summary>A schedule file that cannot be used; the message names the file and, when there is one, the field.</summary>
public sealed class ScheduleException(string path, string problem, string? field = null)
    : Exception(field is null ? $"schedule file {path}: {problem}" : $"schedule file {path}: field '{field}': {problem}")
{
    public string? Field { get; } = field;

    public string Problem { get; } = field is null ? problem : $"field '{field}': {problem}";
}
