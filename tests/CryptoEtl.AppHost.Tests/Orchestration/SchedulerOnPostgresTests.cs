using System.Text.Json;
using CryptoEtl.TestSupport;
using Npgsql;

namespace CryptoEtl.AppHost.Tests.Orchestration;

/// <summary>An embedded run given a real PostgreSQL (ConnectionStrings__postgres): the scheduler's DAG runs and the ingest ledger live there.</summary>
public sealed class SchedulerOnPostgresTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Scheduled_runs_appear_in_the_history_on_PostgreSQL_during_an_embedded_run()
    {
        var postgres = await PostgresServer.SharedAsync();
        var database = await postgres.CreateDatabaseAsync("apphost");
        await using var app = await PipelineApp.StartAsync(["--ConnectionStrings:postgres", database], cancellation: Cancel);
        Assert.Equal("PostgreSQL", app.Snapshot("postgres").ResourceType);
        var scheduler = app.CreateHttpClient("airflow");

        // Until the scheduler has made its tables (it migrates beside Ingest, one at a time) the history answers 503.
        var history = await Eventually.GetAsync(async () =>
            {
                using var response = await scheduler.GetAsync(new Uri("/scheduler/runs", UriKind.Relative), Cancel);
                return response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable ? "" : await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync(Cancel);
            },
            text => text.Contains("\"state\":\"success\"", StringComparison.Ordinal), TimeSpan.FromSeconds(150), "a successful DAG run");
        var runs = JsonSerializer.Deserialize<JsonElement[]>(history)!;

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Cancel);
        await using var dagRuns = new NpgsqlCommand("SELECT dag_run_id, state, ingest_run_id FROM scheduler_runs WHERE state = 'success'", connection);
        await using var reader = await dagRuns.ExecuteReaderAsync(Cancel);
        Assert.True(await reader.ReadAsync(Cancel), "no successful DAG run in PostgreSQL's scheduler_runs");
        var (dagRunId, ingestRunId) = (reader.GetString(0), reader.GetString(2));
        await reader.DisposeAsync();
        Assert.Contains(runs!, r => r.GetProperty("dagRunId").GetString() == dagRunId);

        await using var ledger = new NpgsqlCommand("SELECT status FROM ingest_runs WHERE run_id = @id", connection);
        ledger.Parameters.AddWithValue("id", ingestRunId);
        Assert.Equal("Succeeded", await ledger.ExecuteScalarAsync(Cancel));
    }
}
