using System.Diagnostics;
using Npgsql;
using Xunit;

namespace CryptoEtl.TestSupport;

/// <summary>
/// A real PostgreSQL for the tests. Uses CRYPTOETL_TEST_POSTGRES (a connection string to a server that lets the user
/// create databases) when set; otherwise starts a throwaway cluster from Debian's postgresql package on a free port
/// (.ci/run installs it). Each test gets a database of its own.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "CRYPTOETL_TEST_POSTGRES";

    private static readonly SemaphoreSlim StartGate = new(1, 1);
    private static PostgresServer? _shared;

    private readonly string? _dataDirectory;
    private readonly string? _pgCtl;
    private readonly bool _asPostgresUser;

    private PostgresServer(string adminConnectionString, string? dataDirectory = null, string? pgCtl = null, bool asPostgresUser = false)
    {
        AdminConnectionString = adminConnectionString;
        _dataDirectory = dataDirectory;
        _pgCtl = pgCtl;
        _asPostgresUser = asPostgresUser;
    }

    public string AdminConnectionString { get; }

    /// <summary>The server for this test run, started on first use; skips the test when none can be had.</summary>
    public static async Task<PostgresServer> SharedAsync()
    {
        await StartGate.WaitAsync();
        try
        {
            if (_shared is null)
            {
                _shared = await StartAsync();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => _shared?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            return _shared;
        }
        finally
        {
            StartGate.Release();
        }
    }

    /// <summary>A fresh, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = false }.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_pgCtl is not null && _dataDirectory is not null)
        {
            await RunAsync(_pgCtl, ["-D", _dataDirectory, "-m", "immediate", "stop"], _asPostgresUser);
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// A throwaway cluster of its own whose user postgres logs in with <paramref name="password"/> (scram-sha-256 on
    /// every connection), for tests of how a password reaches it; dispose it. Skips where PostgreSQL is not installed.
    /// </summary>
    public static Task<PostgresServer> StartWithPasswordAsync(string password) => StartAsync(password);

    private static async Task<PostgresServer> StartAsync(string? password = null)
    {
        if (password is null && Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
        {
            return new PostgresServer(configured);
        }

        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        Assert.SkipWhen(bin is null, $"No PostgreSQL here: set {EnvironmentVariable} or apt-get install postgresql (.ci/run installs it).");

        var dataDirectory = Directory.CreateTempSubdirectory("cryptoetl-pg-").FullName;
        var port = FreePorts.Next();
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // PostgreSQL refuses to run as root: hand the cluster to the postgres user.
            await RunAsync("chown", ["postgres:postgres", dataDirectory]);
        }

        var authentication = new List<string> { "-A", "trust" };
        if (password is not null)
        {
            var passwordFile = Path.Combine(Directory.CreateTempSubdirectory("cryptoetl-pgpass-").FullName, "password");
            await File.WriteAllTextAsync(passwordFile, password);
            if (asRoot)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", Path.GetDirectoryName(passwordFile)!]);
            }

            authentication = ["-A", "scram-sha-256", "--pwfile", passwordFile];
        }

        await RunAsync(Path.Combine(bin!, "initdb"), ["-D", dataDirectory, .. authentication, "-U", "postgres", "--no-sync", "-E", "UTF8"], asRoot);
        await RunAsync(Path.Combine(bin!, "pg_ctl"),
            ["-D", dataDirectory, "-l", Path.Combine(dataDirectory, "server.log"), "-w", "-t", "60",
             "-o", $"-p {port} -k {dataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"], asRoot);

        var admin = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres", Pooling = false, Password = password };
        return new PostgresServer(admin.ConnectionString, dataDirectory, Path.Combine(bin!, "pg_ctl"), asRoot);
    }

    private static async Task RunAsync(string tool, string[] arguments, bool asPostgresUser = false)
    {
        var start = asPostgresUser ? new ProcessStartInfo("runuser") : new ProcessStartInfo(tool);
        if (asPostgresUser)
        {
            foreach (var part in (string[])["-u", "postgres", "--", tool])
            {
                start.ArgumentList.Add(part);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}
