using System.Data.Common;
using CryptoEtl.ServiceDefaults.State;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace CryptoEtl.Relational;

/// <summary>
/// A service's relational store: <c>ConnectionStrings:postgres</c> names a PostgreSQL database, or a SQLite file when it is a
/// SQLite connection string (<c>Data Source=&lt;file&gt;</c>, as the embedded run gives it); unset, a SQLite file in the
/// service's state directory. Both speak the same SQL here; <see cref="SqlDialect"/> covers the few differences.
/// </summary>
public sealed class RelationalStore : IAsyncDisposable
{
    public const string ConnectionName = "postgres";

    private readonly bool _ownsDataSource;

    private RelationalStore(DbDataSource dataSource, SqlDialect dialect, string description, bool ownsDataSource = true)
    {
        DataSource = dataSource;
        Dialect = dialect;
        Description = description;
        _ownsDataSource = ownsDataSource;
    }

    public DbDataSource DataSource { get; }

    public SqlDialect Dialect { get; }

    /// <summary>Where the data lives, without credentials: for logs and status pages.</summary>
    public string Description { get; }

    public static RelationalStore Open(IConfiguration configuration, string service, string sqliteFileName)
    {
        if (configuration.GetConnectionString(ConnectionName) is { Length: > 0 } given)
        {
            return IsSqlite(given) ? OpenSqlite(new SqliteConnectionStringBuilder(given).DataSource) : OpenPostgres(given);
        }

        var path = Path.Combine(StateDirectory.Resolve(configuration, service), sqliteFileName);
        return OpenSqlite(path);
    }

    /// <summary>Whether a connection string is SQLite's (Data Source=...) rather than PostgreSQL's (Host=...).</summary>
    public static bool IsSqlite(string connectionString) =>
        connectionString.TrimStart().StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase);

    public static RelationalStore OpenSqlite(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString();
        return new RelationalStore(SqliteFactory.Instance.CreateDataSource(connectionString), SqlDialect.Sqlite, $"SQLite {path}");
    }

    public static RelationalStore OpenPostgres(string connectionString) => OnPostgres(NpgsqlDataSource.Create(connectionString), ownsDataSource: true);

    /// <summary>A store on a PostgreSQL data source someone else owns (the one Aspire.Npgsql registers, say).</summary>
    public static RelationalStore OnPostgres(NpgsqlDataSource dataSource, bool ownsDataSource = false)
    {
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return new RelationalStore(dataSource, SqlDialect.Postgres, $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}", ownsDataSource);
    }

    /// <summary>Runs the schema steps not applied yet (tracked per component in cryptoetl_schema_versions), in one transaction.</summary>
    public async Task MigrateAsync(string component, IReadOnlyList<string> steps, CancellationToken cancellation)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellation);
        if (Dialect == SqlDialect.Sqlite)
        {
            await Execute(connection, null, "PRAGMA journal_mode=WAL;", cancellation);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        await Execute(connection, transaction,
            "CREATE TABLE IF NOT EXISTS cryptoetl_schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)", cancellation);
        if (Dialect == SqlDialect.Postgres)
        {
            // Two services migrating the same database at once take turns.
            await Execute(connection, transaction, "LOCK TABLE cryptoetl_schema_versions IN EXCLUSIVE MODE", cancellation);
        }

        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT version FROM cryptoetl_schema_versions WHERE component = @component";
        read.AddParameter("component", component);
        var current = await read.ExecuteScalarAsync(cancellation) is { } value and not DBNull ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) : 0;

        for (var step = current; step < steps.Count; step++)
        {
            await Execute(connection, transaction, steps[step], cancellation);
        }

        if (steps.Count > current)
        {
            await Execute(connection, transaction, current == 0
                ? $"INSERT INTO cryptoetl_schema_versions (component, version) VALUES ('{component}', {steps.Count})"
                : $"UPDATE cryptoetl_schema_versions SET version = {steps.Count} WHERE component = '{component}'", cancellation);
        }

        await transaction.CommitAsync(cancellation);
    }

    /// <summary>The column type for a point in time: TIMESTAMPTZ on PostgreSQL, ISO-8601 text on SQLite.</summary>
    public string TimestampType => Dialect == SqlDialect.Postgres ? "TIMESTAMPTZ" : "TEXT";

    public ValueTask DisposeAsync() => _ownsDataSource ? DataSource.DisposeAsync() : ValueTask.CompletedTask;

    private static async Task Execute(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellation)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellation);
    }
}

public enum SqlDialect
{
    Postgres,
    Sqlite,
}

public static class DbCommandExtensions
{
    /// <summary>Adds a named parameter; null becomes SQL NULL.</summary>
    public static void AddParameter(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
