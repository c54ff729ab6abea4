using System.Text.Json;
using System.Text.RegularExpressions;
using CryptoEtl.Contracts;
using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Publishing;

/// <summary>
/// The publish-compose step: the committed docker/ files are exactly what the Aspire model generates, compose accepts
/// them, and they hold what a first `docker compose up` needs (docs/verification.md, "The containers stack"): health
/// checks and conditions that mirror WaitFor, the topics created before anything uses them, exec-form entrypoints,
/// a Spark checkpoint path its user owns, credentials from secrets only, nothing published beyond loopback, and the
/// scale options. No Docker engine runs here: these read the files; the services' part runs on the host in
/// ComposeServicesOnHostTests.
/// </summary>
public sealed partial class ComposeTests
{
    private static readonly string[] Generated =
    [
        "docker-compose.yml", ".env.example", Path.Combine("services", "ingest.Dockerfile"), Path.Combine("services", "sparkjob.Dockerfile"),
        Path.Combine("services", "processor.Dockerfile"), Path.Combine("services", "console.Dockerfile"), Path.Combine("airflow", "Dockerfile"),
        Path.Combine("airflow", ".dockerignore"), Path.Combine("postgres", "init", "01-databases.sql"),
    ];

    private static readonly string[] DotnetServices = ["ingest", "sparkjob", "processor", "console"];

    private static string Committed(string file) => Path.Combine(RepositoryPaths.Root, "docker", file);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_committed_compose_files_are_the_generated_ones()
    {
        var output = await PublishAsync();

        foreach (var file in Generated)
        {
            Assert.True(await File.ReadAllTextAsync(Committed(file), Cancel) == await File.ReadAllTextAsync(Path.Combine(output, file), Cancel),
                $"docker/{file} differs from what the app model generates: run `dotnet run --project CryptoEtl.AppHost -- --operation publish --step publish-compose --output-path docker` and commit.");
        }
    }

    [Fact]
    public async Task Every_resource_is_a_service_with_a_pinned_image_and_every_waited_for_service_has_a_health_check_and_a_condition()
    {
        var compose = await LoadAsync(Committed("docker-compose.yml"));
        var services = compose.GetProperty("services");

        Assert.Equal(["zookeeper", "kafka", "kafka-init", "schema-registry", "postgres", "mongodb", "spark-master", "spark-worker-1", "spark-worker-2", "spark",
            "ingest", "sparkjob", "processor", "airflow", "console", "control-center", "aspire-dashboard"], services.EnumerateObject().Select(s => s.Name));
        Assert.All(services.EnumerateObject(), s => Assert.Matches(@":(\d+\.\d+(\.\d+)?|latest)$", s.Value.GetProperty("image").GetString()!));
        foreach (var service in services.EnumerateObject())
        {
            foreach (var dependency in Properties(service.Value, "depends_on"))
            {
                var condition = dependency.Value.GetProperty("condition").GetString();
                Assert.Contains(condition, (string[])["service_healthy", "service_completed_successfully"]);
                if (condition == "service_healthy")
                {
                    Assert.True(services.GetProperty(dependency.Name).TryGetProperty("healthcheck", out _), $"{service.Name} waits for {dependency.Name} to be healthy, which has no health check");
                }
            }
        }

        // WaitFor and WaitForCompletion of the model, as compose's conditions.
        Assert.Equal("service_completed_successfully", Condition(services, "processor", "kafka-init"));
        Assert.Equal("service_healthy", Condition(services, "processor", "mongodb"));
        Assert.Equal("service_healthy", Condition(services, "ingest", "postgres"));
        Assert.Equal("service_healthy", Condition(services, "sparkjob", "spark"));
        Assert.Equal("service_healthy", Condition(services, "kafka-init", "kafka"));
        Assert.Equal("service_healthy", Condition(services, "schema-registry", "kafka"));
        Assert.Equal("service_healthy", Condition(services, "spark", "spark-worker-2"));
        Assert.Equal("no", services.GetProperty("kafka-init").GetProperty("restart").GetString());
    }

    [Fact]
    public async Task Kafka_init_creates_every_topic_with_its_partitions_and_a_replication_that_fits_the_brokers()
    {
        var one = (await LoadAsync(Committed("docker-compose.yml"))).GetProperty("services");
        var three = (await LoadAsync(Path.Combine(await PublishAsync("--kafka-brokers", "3"), "docker-compose.yml"))).GetProperty("services");

        foreach (var (services, replication, minInSync) in new[] { (one, 1, 1), (three, 3, 2) })
        {
            var script = string.Join(" ", services.GetProperty("kafka-init").GetProperty("command").EnumerateArray().Select(a => a.GetString()));
            Assert.All(Topics.All, topic => Assert.Contains($"--topic {topic.Name} --partitions {topic.Partitions} --replication-factor {replication}", script, StringComparison.Ordinal));
            var brokers = services.EnumerateObject().Where(s => s.Value.GetProperty("image").GetString()!.StartsWith("confluentinc/cp-kafka", StringComparison.Ordinal) && s.Name != "kafka-init").ToList();
            Assert.Equal(replication, brokers.Count);
            Assert.All(brokers, b => Assert.Equal((replication.ToString(System.Globalization.CultureInfo.InvariantCulture), minInSync.ToString(System.Globalization.CultureInfo.InvariantCulture), "false"),
                (Env(b.Value, "KAFKA_DEFAULT_REPLICATION_FACTOR"), Env(b.Value, "KAFKA_MIN_INSYNC_REPLICAS"), Env(b.Value, "KAFKA_AUTO_CREATE_TOPICS_ENABLE"))));
            Assert.All(brokers, b => Assert.Equal("service_healthy", Condition(services, "kafka-init", b.Name)));
            // Every client, the registry and Control Center included (their own topics are replicated too), starts once every topic exists on every broker.
            var clients = services.EnumerateObject().Where(s => s.Name != "kafka-init" && !brokers.Any(b => b.Name == s.Name) && Properties(s.Value, "environment").Any(e => e.Value.GetString()!.Contains("kafka:29092", StringComparison.Ordinal))).ToList();
            Assert.Equal(["console", "control-center", "ingest", "processor", "schema-registry", "sparkjob"], clients.Select(c => c.Name).Order(StringComparer.Ordinal));
            Assert.All(clients, c => Assert.Equal("service_completed_successfully", Condition(services, c.Name, "kafka-init")));
        }

        Assert.Equal("kafka:29092,kafka-2:29092,kafka-3:29092", Env(three.GetProperty("processor"), "ConnectionStrings__kafka"));
    }

    [Fact]
    public async Task The_dotnet_images_start_in_exec_form_on_pinned_images_as_a_non_root_user()
    {
        foreach (var service in DotnetServices)
        {
            var dockerfile = await File.ReadAllTextAsync(Committed(Path.Combine("services", $"{service}.Dockerfile")), Cancel);
            var entrypoint = ExecEntrypoint(dockerfile);
            Assert.Equal("dotnet", entrypoint[0]); // no shell between Docker and dotnet: dash drops ConnectionStrings__schema-registry
            Assert.Matches(@"^/app/CryptoEtl\.\w+\.dll$", entrypoint[1]);
            Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0.401 AS build", dockerfile, StringComparison.Ordinal);
            Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0.12", dockerfile, StringComparison.Ordinal);
            Assert.Contains("USER $APP_UID", dockerfile, StringComparison.Ordinal);
        }

        var ignore = await File.ReadAllLinesAsync(Path.Combine(RepositoryPaths.Root, ".dockerignore"), Cancel);
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
        Assert.Contains("docker/.env", await File.ReadAllLinesAsync(Path.Combine(RepositoryPaths.Root, ".gitignore"), Cancel));
    }

    [Fact]
    public async Task Only_what_users_open_is_published_and_only_on_loopback_and_secrets_come_from_the_env_file()
    {
        var compose = await File.ReadAllTextAsync(Committed("docker-compose.yml"), Cancel);
        var services = (await LoadAsync(Committed("docker-compose.yml"))).GetProperty("services");

        var published = services.EnumerateObject().Where(s => s.Value.TryGetProperty("ports", out _))
            .ToDictionary(s => s.Name, s => s.Value.GetProperty("ports").EnumerateArray().Select(p => p.GetString()!).ToList());
        Assert.All(published.Values.SelectMany(p => p), port => Assert.StartsWith("127.0.0.1:", port, StringComparison.Ordinal));
        Assert.Equal(["kafka", "schema-registry", "spark", "airflow", "console", "control-center", "aspire-dashboard"], published.Keys);
        Assert.Equal(["127.0.0.1:18888:18888"], published["aspire-dashboard"]); // OTLP stays inside the network
        Assert.DoesNotContain("DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS", compose, StringComparison.Ordinal);

        // MongoDB with authentication, its credentials given apart from the connection string (no escaping needed).
        var mongodb = services.GetProperty("mongodb");
        Assert.Equal("${MONGODB_PASSWORD:?set MONGODB_PASSWORD in docker/.env}", Env(mongodb, "MONGO_INITDB_ROOT_PASSWORD"));
        Assert.Contains("--keyFile", string.Join(" ", mongodb.GetProperty("command").EnumerateArray().Select(a => a.GetString())), StringComparison.Ordinal);
        Assert.Equal("mongodb://mongodb:27017/cryptoetl?replicaSet=rs0&authSource=admin", Env(services.GetProperty("processor"), "ConnectionStrings__mongodb"));
        Assert.Equal("${MONGODB_PASSWORD:?set MONGODB_PASSWORD in docker/.env}", Env(services.GetProperty("processor"), "Store__Password"));
        Assert.Equal("Host=postgres;Port=5432;Username=postgres;Database=cryptoetl", Env(services.GetProperty("ingest"), "ConnectionStrings__postgres"));
        Assert.Equal("postgresql+psycopg2://postgres@postgres:5432/airflow", Env(services.GetProperty("airflow"), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"));
        Assert.Equal("${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in docker/.env}", Env(services.GetProperty("airflow"), "_AIRFLOW_WWW_USER_PASSWORD"));
        // Every value of a secret-named setting is a reference to docker/.env, never a value.
        foreach (var service in services.EnumerateObject())
        {
            foreach (var setting in Properties(service.Value, "environment"))
            {
                if (SecretName().IsMatch(setting.Name))
                {
                    Assert.Matches(@"^\$\{[A-Z_]+:[?-]", setting.Value.GetString()!);
                }
            }
        }

        var example = await File.ReadAllTextAsync(Committed(".env.example"), Cancel);
        Assert.All(["POSTGRES_PASSWORD=", "MONGODB_PASSWORD=", "MONGODB_REPLICA_KEY=", "AIRFLOW_ADMIN_PASSWORD="], line => Assert.Contains($"\n{line}\n", example, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Spark_runs_as_a_cluster_whose_checkpoints_are_on_a_volume_its_user_owns_and_scales_with_its_options()
    {
        var services = (await LoadAsync(Committed("docker-compose.yml"))).GetProperty("services");
        var scaled = (await LoadAsync(Path.Combine(await PublishAsync("--spark-workers", "3", "--mongodb-members", "3"), "docker-compose.yml"))).GetProperty("services");

        Assert.Equal(2, services.EnumerateObject().Count(s => s.Name.StartsWith("spark-worker-", StringComparison.Ordinal)));
        Assert.Equal(3, scaled.EnumerateObject().Count(s => s.Name.StartsWith("spark-worker-", StringComparison.Ordinal)));
        Assert.Contains("spark://spark-master:7077", services.GetProperty("spark").GetProperty("command").EnumerateArray().Select(a => a.GetString()));
        // The image's user (uid 185) owns /opt/spark/work-dir, so a new volume mounted there is its own.
        Assert.Contains("cryptoetl-spark-work:/opt/spark/work-dir", services.GetProperty("spark").GetProperty("volumes").EnumerateArray().Select(v => v.GetString()));
        Assert.Contains("cryptoetl-spark-work:/opt/spark/work-dir", services.GetProperty("spark-worker-1").GetProperty("volumes").EnumerateArray().Select(v => v.GetString()));
        Assert.StartsWith("/opt/spark/work-dir/", Env(services.GetProperty("sparkjob"), "Spark__CheckpointDir"), StringComparison.Ordinal);

        Assert.Equal(["mongodb", "mongodb-2", "mongodb-3"], scaled.EnumerateObject().Where(s => s.Value.GetProperty("image").GetString()!.StartsWith("mongo:", StringComparison.Ordinal)).Select(s => s.Name));
        Assert.Contains("members:[{_id:0,host:'mongodb:27017'},{_id:1,host:'mongodb-2:27017'},{_id:2,host:'mongodb-3:27017'}]",
            scaled.GetProperty("mongodb").GetProperty("healthcheck").GetProperty("test")[1].GetString(), StringComparison.Ordinal);
        Assert.Equal("mongodb://mongodb:27017,mongodb-2:27017,mongodb-3:27017/cryptoetl?replicaSet=rs0&authSource=admin", Env(scaled.GetProperty("processor"), "ConnectionStrings__mongodb"));
    }

    [Fact]
    public async Task A_bad_scale_option_is_said_in_one_line()
    {
        var result = await AppHostProcess.RunAsync(["--operation", "publish", "--step", "publish-compose", "--output-path", Directory.CreateTempSubdirectory().FullName, "--kafka-brokers", "2"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("--kafka-brokers '2' must be 1 or 3.", result.Output.Trim());
    }

    [Fact]
    public async Task Docker_compose_validates_the_file_with_an_env_file_and_names_a_missing_secret_without_one()
    {
        Requires.Tool("docker-compose", "docker-compose");
        var env = await EnvFileAsync("s3;cr@t/%'\"x");
        var valid = await ExternalTool.RunAsync("docker-compose", ["-f", Committed("docker-compose.yml"), "--env-file", env, "config", "-q"], cancellation: Cancel);
        var resolved = await ExternalTool.RunAsync("docker-compose", ["-f", Committed("docker-compose.yml"), "--env-file", env, "config"], cancellation: Cancel);
        var empty = Path.Combine(Path.GetDirectoryName(env)!, "empty.env");
        await File.WriteAllTextAsync(empty, "", Cancel);
        var withoutSecrets = await ExternalTool.RunAsync("docker-compose", ["-f", Committed("docker-compose.yml"), "--env-file", empty, "config", "-q"], cancellation: Cancel);

        Assert.True(valid.ExitCode == 0, valid.Error);
        Assert.Contains("CoinGecko__Plan: Public", resolved.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, withoutSecrets.ExitCode);
        Assert.Contains("in docker/.env", withoutSecrets.Error, StringComparison.Ordinal);
    }

    /// <summary>docker/.env.example filled in, every secret set to <paramref name="password"/>; returns its path.</summary>
    public static async Task<string> EnvFileAsync(string password)
    {
        var env = Path.Combine(Directory.CreateTempSubdirectory("cryptoetl-env").FullName, ".env");
        var lines = (await File.ReadAllLinesAsync(Committed(".env.example"))).Select(l => l switch
        {
            "POSTGRES_PASSWORD=" or "MONGODB_PASSWORD=" or "AIRFLOW_ADMIN_PASSWORD=" => $"{l}{password}",
            "MONGODB_REPLICA_KEY=" => $"{l}{Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(96))}",
            _ => l,
        });
        await File.WriteAllLinesAsync(env, lines);
        return env;
    }

    /// <summary>A compose file as JSON (through Python's yaml, which docker-compose brings).</summary>
    public static async Task<JsonElement> LoadAsync(string path)
    {
        Requires.Tool("docker-compose", "docker-compose");
        var json = await ExternalTool.RunAsync("python3", ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path]);
        Assert.True(json.ExitCode == 0, json.Error);
        return JsonDocument.Parse(json.Output).RootElement.Clone();
    }

    /// <summary>The arguments of the Dockerfile's ENTRYPOINT, which must be in exec form (a JSON array).</summary>
    public static string[] ExecEntrypoint(string dockerfile)
    {
        var line = dockerfile.Split('\n').Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));
        return JsonSerializer.Deserialize<string[]>(line["ENTRYPOINT ".Length..])!;
    }

    private static async Task<string> PublishAsync(params string[] options)
    {
        var output = Directory.CreateTempSubdirectory("cryptoetl-compose").FullName;
        var result = await AppHostProcess.RunAsync(["--operation", "publish", "--step", "publish-compose", "--output-path", output, .. options]);
        Assert.True(result.ExitCode == 0, result.Output);
        return output;
    }

    private static IEnumerable<JsonProperty> Properties(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.EnumerateObject() : [];

    private static string? Condition(JsonElement services, string service, string dependency) =>
        services.GetProperty(service).GetProperty("depends_on").TryGetProperty(dependency, out var d) ? d.GetProperty("condition").GetString() : null;

    private static string? Env(JsonElement service, string name) =>
        service.GetProperty("environment").TryGetProperty(name, out var value) ? value.GetString() : null;

    [GeneratedRegex("(PASSWORD|REPLICA_KEY|API_KEY|ApiKey|Password)$")]
    private static partial Regex SecretName();
}
