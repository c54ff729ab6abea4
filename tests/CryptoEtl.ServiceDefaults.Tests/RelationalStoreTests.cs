using CryptoEtl.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using CryptoEtl.Relational;

namespace CryptoEtl.ServiceDefaults.Tests;

/// <summary>Which database ConnectionStrings:postgres opens: a SQLite file for a SQLite connection string (the embedded run's), else a file in the state directory.</summary>
public sealed class RelationalStoreTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_SQLite_connection_string_opens_that_file_and_creates_its_directory()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("relational").FullName, "postgres", "cryptoetl.db");
        var configuration = Settings(("ConnectionStrings:postgres", $"Data Source={path}"), ("StateDir", Path.Combine(Path.GetTempPath(), "unused")));

        await using var store = RelationalStore.Open(configuration, "ingest", "ingest-runs.db");
        await store.MigrateAsync("probe", ["CREATE TABLE probe (id INTEGER PRIMARY KEY)"], Cancel);

        Assert.Equal(SqlDialect.Sqlite, store.Dialect);
        Assert.Equal($"SQLite {path}", store.Description);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task Without_a_connection_string_the_file_lives_in_the_state_directory()
    {
        var state = Directory.CreateTempSubdirectory("relational-state").FullName;

        await using var store = RelationalStore.Open(Settings(("StateDir", state)), "ingest", "ingest-runs.db");

        Assert.Equal(SqlDialect.Sqlite, store.Dialect);
        Assert.Equal($"SQLite {Path.Combine(state, "ingest-runs.db")}", store.Description);
    }

    [Theory]
    [InlineData("Data Source=/tmp/x.db", true)]
    [InlineData("  data source=relative.db;Mode=ReadWriteCreate", true)]
    [InlineData("Host=localhost;Port=5432;Username=postgres;Database=cryptoetl", false)]
    public void SQLite_and_PostgreSQL_connection_strings_are_told_apart(string connectionString, bool sqlite) =>
        Assert.Equal(sqlite, RelationalStore.IsSqlite(connectionString));

    /// <summary>
    /// A deployment gives the password apart from the connection string (Postgres__Password), and it is put in with
    /// Npgsql's own builder: a password full of the characters connection strings and URLs care about logs in as it is,
    /// against a PostgreSQL that checks it (scram-sha-256), and a wrong one is refused.
    /// </summary>
    [Fact]
    public async Task A_password_given_apart_reaches_PostgreSQL_whatever_characters_it_has()
    {
        const string password = "p;w@d/%'\"=x y";
        await using var server = await PostgresServer.StartWithPasswordAsync(password);
        var database = new Npgsql.NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("password")) { Password = null };

        using (var app = Open(database.ConnectionString, password))
        {
            var store = app.Services.GetRequiredService<RelationalStore>();
            await store.MigrateAsync("probe", ["CREATE TABLE probe (id INTEGER PRIMARY KEY)"], Cancel);
            Assert.Equal(SqlDialect.Postgres, store.Dialect);
            Assert.DoesNotContain(password, store.Description, StringComparison.Ordinal);
        }

        using var wrong = Open(database.ConnectionString, "not it");
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => wrong.Services.GetRequiredService<RelationalStore>().MigrateAsync("probe", ["SELECT 1"], Cancel));
        Assert.Equal("28P01", refused.SqlState); // invalid_password
    }

    private static Microsoft.Extensions.Hosting.IHost Open(string connectionString, string password)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:postgres", connectionString), new(RelationalStoreExtensions.PasswordSetting, password)]);
        builder.AddRelationalStore("ingest", "unused.db");
        return builder.Build();
    }

    private static IConfiguration Settings(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
}
