using System.Data.Common;
using CryptoEtl.Contracts.Api;
using CryptoEtl.Relational;

namespace CryptoEtl.DevServices.Scheduler;

/// <summary>The DAG run history: PostgreSQL when ConnectionStrings:postgres is set, a SQLite file otherwise.</summary>
public sealed class SchedulerHistory(RelationalStore store)
{
    /// <summary>The most runs GET /scheduler/runs lists at once.</summary>
    public const int MaxLimit = 1000;

    private const string Columns = "dag_run_id, logical_time, state, run_trigger, tries, started_at, finished_at, ingest_run_id, error";

    public string Description => store.Description;

    public Task MigrateAsync(CancellationToken cancellation)
    {
        var timestamp = store.TimestampType;
        return store.MigrateAsync("scheduler_runs",
        [
            $"""
            CREATE TABLE IF NOT EXISTS scheduler_runs (
                dag_run_id TEXT PRIMARY KEY,
                logical_time {timestamp} NOT NULL,
                state TEXT NOT NULL,
                run_trigger TEXT NOT NULL,
                tries INTEGER NOT NULL DEFAULT 0,
                started_at {timestamp} NULL,
                finished_at {timestamp} NULL,
                ingest_run_id TEXT NULL,
                error TEXT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS scheduler_runs_logical_time ON scheduler_runs (logical_time)",
        ], cancellation);
    }

    /// <summary>Inserts or updates the run (by its id).</summary>
    public async Task SaveAsync(DagRun run, CancellationToken cancellation)
    {
        var upsert = $"INSERT INTO scheduler_runs ({Columns}) VALUES (@dag_run_id, @logical_time, @state, @run_trigger, @tries, @started_at, @finished_at, @ingest_run_id, @error) "
            + "ON CONFLICT (dag_run_id) DO UPDATE SET state = excluded.state, tries = excluded.tries, started_at = excluded.started_at, "
            + "finished_at = excluded.finished_at, ingest_run_id = excluded.ingest_run_id, error = excluded.error";
        await using var command = store.DataSource.CreateCommand(upsert);
        command.AddParameter("dag_run_id", run.DagRunId);
        command.AddParameter("logical_time", run.LogicalTime.ToUniversalTime());
        command.AddParameter("state", run.State.ToString().ToLowerInvariant());
        command.AddParameter("run_trigger", run.Trigger);
        command.AddParameter("tries", run.Tries);
        command.AddParameter("started_at", run.StartedAt?.ToUniversalTime());
        command.AddParameter("finished_at", run.FinishedAt?.ToUniversalTime());
        command.AddParameter("ingest_run_id", run.IngestRunId);
        command.AddParameter("error", run.Error);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>Newest logical time first.</summary>
    public async Task<List<DagRun>> ListAsync(int limit, CancellationToken cancellation)
    {
        await using var command = store.DataSource.CreateCommand($"SELECT {Columns} FROM scheduler_runs ORDER BY logical_time DESC, dag_run_id DESC LIMIT @limit");
        command.AddParameter("limit", limit);
        return await ReadAsync(command, cancellation);
    }

    /// <summary>The latest logical time of a scheduled run (not manual ones), to resume the schedule after a restart.</summary>
    public async Task<DateTimeOffset?> LastScheduledAsync(CancellationToken cancellation)
    {
        await using var command = store.DataSource.CreateCommand(
            $"SELECT {Columns} FROM scheduler_runs WHERE run_trigger = 'scheduled' ORDER BY logical_time DESC LIMIT 1");
        return (await ReadAsync(command, cancellation)).FirstOrDefault()?.LogicalTime;
    }

    /// <summary>Runs still queued or running belong to a scheduler that died; they failed.</summary>
    public async Task<int> FailInterruptedAsync(DateTimeOffset now, CancellationToken cancellation)
    {
        await using var command = store.DataSource.CreateCommand(
            "UPDATE scheduler_runs SET state = 'failed', finished_at = @now, error = 'interrupted: the scheduler stopped during the run' WHERE state IN ('queued', 'running')");
        command.AddParameter("now", now.ToUniversalTime());
        return await command.ExecuteNonQueryAsync(cancellation);
    }

    private static async Task<List<DagRun>> ReadAsync(DbCommand command, CancellationToken cancellation)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var runs = new List<DagRun>();
        while (await reader.ReadAsync(cancellation))
        {
            runs.Add(new DagRun
            {
                DagRunId = reader.GetString(0),
                LogicalTime = reader.GetFieldValue<DateTimeOffset>(1),
                State = Enum.Parse<DagRunState>(reader.GetString(2), ignoreCase: true),
                Trigger = reader.GetString(3),
                Tries = reader.GetInt32(4),
                StartedAt = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                FinishedAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                IngestRunId = reader.IsDBNull(7) ? null : reader.GetString(7),
                Error = reader.IsDBNull(8) ? null : reader.GetString(8),
            });
        }

        return runs;
    }

    private static void Add(DbCommand command, string name, object? value) => command.AddParameter(name, value);
}
