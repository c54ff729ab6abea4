using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts;
using CryptoEtl.DevServices.CoinGecko;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Publishing;

/// <summary>
/// The compose file's .NET service as its container would start it, run on this host (no Docker engine here): the
/// exec-form entrypoint of its Dockerfile, with the environment `docker-compose config` resolves from docker/.env,
/// against the embedded Kafka and registry, a real PostgreSQL whose password is full of the characters connection
/// strings care about, and the CoinGecko simulator. The only changes to compose's environment: the in-network
/// addresses (kafka:29092, schema-registry:8081, postgres:5432) and the real CoinGecko API are this host's stand-ins,
/// the state directory is a temporary one, and no dashboard receives telemetry. The job and the Processor need Spark and
/// MongoDB, which this machine does not have.
/// </summary>
public sealed class ComposeServicesOnHostTests
{
    private const string Password = "p;w@d/%'\"=x y";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Then CryptoEtl's console, started the same way, reads those records back through the registry.</summary>
    [Fact]
    public async Task Ingest_and_the_console_started_as_compose_starts_them_see_every_setting_and_move_data_through_Kafka()
    {
        var (environment, entrypoint, _) = await ComposeServiceAsync("ingest");
        await using var postgres = await PostgresServer.StartWithPasswordAsync(Password);
        var database = new Npgsql.NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("cryptoetl"));
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync();
        await using var simulator = CoinGeckoSimulatorServer.Build("http://127.0.0.1:0", new SimulatorOptions { CoinCount = 40, RateLimitPerMinute = 0 }, args: ["--Logging:LogLevel:Default=Warning"]);
        await simulator.StartAsync(Cancel);

        Assert.Equal(Password, environment["Postgres__Password"]); // from docker/.env, untouched by compose
        var local = OnThisHost(environment, infrastructure, "compose-ingest");
        local["ConnectionStrings__postgres"] = local["ConnectionStrings__postgres"].Replace("Host=postgres;Port=5432", $"Host=127.0.0.1;Port={database.Port}", StringComparison.Ordinal)
            .Replace("Database=cryptoetl", $"Database={database.Database}", StringComparison.Ordinal);
        local["ConnectionStrings__coingecko"] = $"{simulator.ListeningAddress()}api/v3";

        int published;
        using (var ingest = Start(entrypoint, [], local))
        {
            try
            {
                // Healthy means it reached Kafka, the registry (ConnectionStrings__schema-registry) and PostgreSQL with its password.
                using var http = await HealthyAsync(ingest, local);
                using var started = await http.PostAsync(new Uri("/runs", UriKind.Relative), null, Cancel);
                Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
                var runId = (await started.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("runId").GetString();
                var run = await Eventually.GetAsync(async () => await http.GetFromJsonAsync<JsonElement>($"/runs/{runId}", Cancel),
                    r => r.GetProperty("status").GetString() != "running", TimeSpan.FromSeconds(60), "the run to finish");
                Assert.Equal("succeeded", run.GetProperty("status").GetString());
                published = run.GetProperty("published").GetInt32();
                Assert.Equal(published, infrastructure.ReadAll(Topics.Snapshots).Count);
                Assert.True(published > 0);
            }
            finally
            {
                ingest.Kill(entireProcessTree: true);
            }
        }

        var (consoleEnvironment, consoleEntrypoint, _) = await ComposeServiceAsync("console");
        var consoleLocal = OnThisHost(consoleEnvironment, infrastructure, "compose-console");
        using var console = Start(consoleEntrypoint, [], consoleLocal);
        try
        {
            using var http = await HealthyAsync(console, consoleLocal);
            var records = (await http.GetFromJsonAsync<JsonElement>($"/api/topics/{Topics.Snapshots}/messages?limit=500", Cancel)).EnumerateArray().ToList();
            Assert.Equal(published, records.Count);
            Assert.All(records, r => Assert.Equal(r.GetProperty("key").GetString(), r.GetProperty("value").GetProperty("id").GetString()));
        }
        finally
        {
            console.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// Compose's environment for a service on this host: the in-network addresses of Kafka and the registry become the
    /// embedded ones, the state directory a temporary one, the port a free one; no dashboard receives telemetry.
    /// </summary>
    private static Dictionary<string, string> OnThisHost(Dictionary<string, string> environment, EmbeddedInfrastructure infrastructure, string name)
    {
        var local = new Dictionary<string, string>(environment)
        {
            ["ConnectionStrings__kafka"] = environment["ConnectionStrings__kafka"].Replace("kafka:29092", infrastructure.BootstrapServers, StringComparison.Ordinal),
            ["ConnectionStrings__schema-registry"] = environment["ConnectionStrings__schema-registry"].Replace("http://schema-registry:8081", infrastructure.RegistryUrl, StringComparison.Ordinal),
            ["StateDir"] = Directory.CreateTempSubdirectory(name).FullName,
            ["HTTP_PORTS"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        local.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        return local;
    }

    /// <summary>A client of the service once its /health answers Healthy; the service's own words if it exits first.</summary>
    private static async Task<HttpClient> HealthyAsync(Process service, Dictionary<string, string> environment)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{environment["HTTP_PORTS"]}"), Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.GetAsync(() => HealthAsync(http), health => health == "Healthy" || service.HasExited, TimeSpan.FromSeconds(60), "the service to be healthy");
        if (service.HasExited)
        {
            Assert.Fail($"the service exited with code {service.ExitCode}: {await service.StandardError.ReadToEndAsync(Cancel)}");
        }

        Assert.Equal("Healthy", await HealthAsync(http));
        return http;
    }

    /// <summary>
    /// Why the entrypoint is in exec form: Debian's /bin/sh, like the aspnet image's (Ubuntu's), is dash, which drops
    /// the variables whose names are not shell identifiers. The old entrypoint, `sh -c "exec dotnet ..."`, lost
    /// ConnectionStrings__schema-registry on its way to the service; every .NET service's Dockerfile now starts dotnet
    /// itself, with nothing in between.
    /// </summary>
    [Fact]
    public async Task Through_a_shell_a_setting_with_a_dash_in_its_name_is_lost_so_no_service_starts_through_one()
    {
        Requires.Tool("dash", "dash");
        var (environment, _, _) = await ComposeServiceAsync("processor");

        var start = new ProcessStartInfo("/bin/dash", ["-c", "exec env"]) { RedirectStandardOutput = true, UseShellExecute = false };
        start.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var shell = Process.Start(start)!;
        var seen = await shell.StandardOutput.ReadToEndAsync(Cancel);
        await shell.WaitForExitAsync(Cancel);

        Assert.Contains("ConnectionStrings__kafka=kafka:29092", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("ConnectionStrings__schema-registry=", seen, StringComparison.Ordinal);
        foreach (var service in new[] { "ingest", "sparkjob", "processor", "console" })
        {
            Assert.Equal("dotnet", (await ComposeServiceAsync(service)).Entrypoint[0]);
        }
    }

    /// <summary>A .NET service of the compose file: its environment as `docker-compose config` resolves it, and its entrypoint and command with the image's /app/ as this build's output.</summary>
    private static async Task<(Dictionary<string, string> Environment, string[] Entrypoint, string[] Command)> ComposeServiceAsync(string service)
    {
        Requires.Tool("docker-compose", "docker-compose");
        var env = await ComposeTests.EnvFileAsync(Password);
        var resolved = await ExternalTool.RunAsync("docker-compose", ["-f", Path.Combine(RepositoryPaths.Root, "docker", "docker-compose.yml"), "--env-file", env, "config"], cancellation: Cancel);
        Assert.True(resolved.ExitCode == 0, resolved.Error);
        var file = Path.Combine(Path.GetDirectoryName(env)!, "resolved.yml");
        await File.WriteAllTextAsync(file, resolved.Output, Cancel);
        var definition = (await ComposeTests.LoadAsync(file)).GetProperty("services").GetProperty(service);

        var environment = definition.GetProperty("environment").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.ToString());
        var dockerfile = definition.GetProperty("build").GetProperty("dockerfile").GetString()!;
        var entrypoint = ComposeTests.ExecEntrypoint(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, dockerfile), Cancel));
        var project = Path.GetFileNameWithoutExtension(entrypoint[^1]);
        var output = Path.Combine(RepositoryPaths.Root, project, "bin", Configuration, "net10.0");
        var command = definition.TryGetProperty("command", out var args) ? args.EnumerateArray().Select(a => a.GetString()!).ToArray() : [];
        return (environment, [.. entrypoint.Select(a => a.Replace("/app/", output + "/", StringComparison.Ordinal))], command);
    }

    /// <summary>The configuration this test was built in (the services beside it were built the same way).</summary>
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private static Process Start(string[] entrypoint, string[] command, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(entrypoint[0], [.. entrypoint[1..], .. command]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        var path = start.Environment["PATH"];
        var home = start.Environment["HOME"];
        start.Environment.Clear();
        start.Environment["PATH"] = path;
        start.Environment["HOME"] = home;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { }; // read, or a full pipe would block the service
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task<string> HealthAsync(HttpClient http)
    {
        try
        {
            return await http.GetStringAsync(new Uri("/health", UriKind.Relative), Cancel);
        }
        catch (HttpRequestException e)
        {
            return e.StatusCode is { } status ? status.ToString() : "unreachable";
        }
        catch (TaskCanceledException)
        {
            return "no answer";
        }
    }
}
