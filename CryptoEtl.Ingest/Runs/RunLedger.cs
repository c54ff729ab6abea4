using System.Data.Common;
using CryptoEtl.Relational;

namespace CryptoEtl.Ingest.Runs;

/// <summary>Every run, persisted: PostgreSQL when ConnectionStrings:postgres is set, a SQLite file otherwise.</summary>
public sealed class RunLedger(RelationalStore store)
{
    private const string Columns = "run_id, idempotency_key, status, source, requested_at, started_at, finished_at, fetched, published, duplicates, rejected, error";

    public string Description => store.Description;

    public Task MigrateAsync(CancellationToken cancellation)
    {
        var timestamp = store.TimestampType;
        return store.MigrateAsync("ingest_runs",
        [
            $"""
            CREATE TABLE IF NOT EXISTS ingest_runs (
                run_id TEXT PRIMARY KEY,
                idempotency_key TEXT NULL,
                status TEXT NOT NULL,
                source TEXT NULL,
                requested_at {timestamp} NOT NULL,
                started_at {timestamp} NULL,
                finished_at {timestamp} NULL,
                fetched INTEGER NOT NULL DEFAULT 0,
                published INTEGER NOT NULL DEFAULT 0,
                duplicates INTEGER NOT NULL DEFAULT 0,
                rejected INTEGER NOT NULL DEFAULT 0,
                error TEXT NULL)
            """,
            "CREATE UNIQUE INDEX IF NOT EXISTS ingest_runs_idempotency_key ON ingest_runs (idempotency_key) WHERE idempotency_key IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS ingest_runs_requested_at ON ingest_runs (requested_at)",
        ], cancellation);
    }

    public async Task InsertAsync(IngestRun run, CancellationToken cancellation)
    {
        await using var command = store.DataSource.CreateCommand(
            $"INSERT INTO ingest_runs ({Columns}) VALUES (@run_id, @idempotency_key, @status, @source, @requested_at, @started_at, @finished_at, @fetched, @published, @duplicates, @rejected, @error)");
        Bind(command, run);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    public async Task UpdateAsync(IngestRun run, CancellationToken cancellation)
    {
        await using var command = store.DataSource.CreateCommand(
            "UPDATE ingest_runs SET status = @status, source = @source, started_at = @started_at, finished_at = @finished_at, fetched = @fetched, "
            + "published = @published, duplicates = @duplicates, rejected = @rejected, error = @error WHERE run_id = @run_id");
        Bind(command, run);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    public async Task<IngestRun?> GetAsync(string runId, CancellationToken cancellation) =>
        (await QueryAsync($"SELECT {Columns} FROM ingest_runs WHERE run_id = @value", runId, cancellation)).SingleOrDefault();

    public async Task<IngestRun?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellation) =>
        (await QueryAsync($"SELECT {Columns} FROM ingest_runs WHERE idempotency_key = @value", key, cancellation)).SingleOrDefault();

    /// <summary>The newest runs first.</summary>
    public Task<List<IngestRun>> ListAsync(int limit, CancellationToken cancellation) =>
        QueryAsync($"SELECT {Columns} FROM ingest_runs ORDER BY requested_at DESC, run_id DESC LIMIT @value", limit, cancellation);

    /// <summary>Runs still marked running belong to a process that died; they failed.</summary>
    public async Task<int> FailInterruptedAsync(DateTimeOffset now, CancellationToken cancellation)
    {
        await using var command = store.DataSource.CreateCommand(
            "UPDATE ingest_runs SET status = @status, finished_at = @now, error = @error WHERE status = @running");
        command.AddParameter("status", nameof(RunStatus.Failed));
        command.AddParameter("now", now.ToUniversalTime());
        command.AddParameter("error", "interrupted: the Ingest process stopped during the run");
        command.AddParameter("running", nameof(RunStatus.Running));
        return await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>PostgreSQL reports a unique violation as 23505, SQLite as constraint error 19.</summary>
    public static bool IsUniqueViolation(DbException e) =>
        e.SqlState == "23505" || (e is Microsoft.Data.Sqlite.SqliteException sqlite && sqlite.SqliteErrorCode == 19);

    private async Task<List<IngestRun>> QueryAsync(string sql, object value, CancellationToken cancellation)
    {
        await using var command = store.DataSource.CreateCommand(sql);
        command.AddParameter("value", value);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var runs = new List<IngestRun>();
        while (await reader.ReadAsync(cancellation))
        {
            runs.Add(new IngestRun
            {
                RunId = reader.GetString(0),
                IdempotencyKey = reader.IsDBNull(1) ? null : reader.GetString(1),
                Status = Enum.Parse<RunStatus>(reader.GetString(2)),
                Source = reader.IsDBNull(3) ? null : reader.GetString(3),
                RequestedAt = reader.GetFieldValue<DateTimeOffset>(4),
                StartedAt = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                FinishedAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                Fetched = reader.GetInt32(7),
                Published = reader.GetInt32(8),
                Duplicates = reader.GetInt32(9),
                Rejected = reader.GetInt32(10),
                Error = reader.IsDBNull(11) ? null : reader.GetString(11),
            });
        }

        return runs;
    }

    private static void Bind(DbCommand command, IngestRun run)
    {
        command.AddParameter("run_id", run.RunId);
        command.AddParameter("idempotency_key", run.IdempotencyKey);
        command.AddParameter("status", run.Status.ToString());
        command.AddParameter("source", run.Source);
        command.AddParameter("requested_at", run.RequestedAt.ToUniversalTime());
        command.AddParameter("started_at", run.StartedAt?.ToUniversalTime());
        command.AddParameter("finished_at", run.FinishedAt?.ToUniversalTime());
        command.AddParameter("fetched", run.Fetched);
        command.AddParameter("published", run.Published);
        command.AddParameter("duplicates", run.Duplicates);
        command.AddParameter("rejected", run.Rejected);
        command.AddParameter("error", run.Error);
    }
}
