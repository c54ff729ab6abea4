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

    private static IConfiguration Settings(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
}
