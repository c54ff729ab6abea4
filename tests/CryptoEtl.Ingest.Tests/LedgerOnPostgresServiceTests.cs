using System.Net.Http.Json;
using CryptoEtl.Contracts.Api;
using CryptoEtl.Ingest.Runs;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace CryptoEtl.Ingest.Tests;

public sealed class LedgerOnPostgresServiceTests
{
    [Fact]
    public async Task With_ConnectionStrings_postgres_set_the_service_keeps_its_runs_in_PostgreSQL()
    {
        var connection = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync("ingest");
        await using var harness = await IngestHarness.StartAsync(settings: new Dictionary<string, string> { ["ConnectionStrings:postgres"] = connection });

        var run = await harness.RunAsync();

        await using var database = new NpgsqlConnection(connection);
        await database.OpenAsync(TestContext.Current.CancellationToken);
        await using var query = new NpgsqlCommand("SELECT status, published FROM ingest_runs WHERE run_id = @id", database);
        query.Parameters.AddWithValue("id", run.RunId);
        await using var reader = await query.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal(("Succeeded", 60), (reader.GetString(0), reader.GetInt32(1)));
        Assert.False(File.Exists(Path.Combine(harness.StateDirectory, "ingest-runs.db")));
        Assert.Equal(run.RunId, (await harness.Http.GetFromJsonAsync<RunView[]>("/runs", IngestJson.Options, TestContext.Current.CancellationToken))!.Single().RunId);

        // Aspire.Npgsql's data source, with its health check in /health.
        var health = await harness.Ingest.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Healthy, Assert.Single(health.Entries, e => e.Key.StartsWith("PostgreSql", StringComparison.Ordinal)).Value.Status);
    }
}
