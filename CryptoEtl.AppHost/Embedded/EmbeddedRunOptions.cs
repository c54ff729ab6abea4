namespace CryptoEtl.AppHost.Embedded;

/// <summary>How the embedded run was asked to run.</summary>
public sealed record EmbeddedRunOptions
{
    /// <summary>auto, coingecko or simulator.</summary>
    public string Source { get; init; } = "auto";

    public required string StateDirectory { get; init; }

    public TimeSpan? RunFor { get; init; }

    public string? SummaryPath { get; init; }

    /// <summary>A live table on a terminal; status lines otherwise.</summary>
    public bool Live { get; init; }

    /// <summary>The schedule file the embedded scheduler follows (default: the copy of docker/airflow/dags/crypto_etl_schedule.json next to the AppHost).</summary>
    public string? ScheduleFile { get; init; }

    /// <summary>An environments entry of the schedule file (default: CRYPTOETL_ENVIRONMENT, else "dev": a run every minute).</summary>
    public string? ScheduleEnvironment { get; init; }

    /// <summary>Trigger one run as soon as the services are healthy, so data flows without waiting for the first slot.</summary>
    public bool RunAtStart { get; init; } = true;
}
