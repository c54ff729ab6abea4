using System.Text.Json.Nodes;
using CryptoEtl.TestSupport;
using NJsonSchema;

namespace CryptoEtl.AppHost.Tests.Publishing;

/// <summary>`--publisher manifest`: an Aspire manifest as azd reads it, valid against Aspire's published schema.</summary>
public sealed class ManifestTests
{
    private const string UpdateGolden = "CRYPTOETL_UPDATE_GOLDEN";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The AppHost publishes once for the whole class; each test gets its own parse of the manifest.</summary>
    private static readonly Lazy<Task<(string Text, string Directory)>> Published = new(async () =>
    {
        var directory = Directory.CreateTempSubdirectory("cryptoetl-manifest").FullName;
        var path = Path.Combine(directory, "aspire-manifest.json");
        var result = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", path]);
        Assert.True(result.ExitCode == 0, result.Output);
        return (await File.ReadAllTextAsync(path), directory);
    });

    private static async Task<(string Text, JsonObject Resources, string Directory)> PublishAsync()
    {
        var (text, directory) = await Published.Value;
        return (text, JsonNode.Parse(text)!["resources"]!.AsObject(), directory);
    }

    private static async Task<JsonSchema> AspireSchemaAsync()
    {
        // SchemaStore's aspire-8.0.json references #/definitions/annotatedStringFilter without defining it (only the
        // annotated.string type uses it, which this manifest has none of); define it so the reference resolves.
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Publishing", "aspire-8.0.schema.json"), Cancel))!;
        schema["definitions"]!["annotatedStringFilter"] = new JsonObject { ["type"] = "string" };
        Draft07ToNJsonSchema(schema);
        return await JsonSchema.FromJsonAsync(schema.ToJsonString(), Cancel);
    }

    /// <summary>
    /// NJsonSchema reads neither draft-07 boolean schemas ("build": false) nor "const" (it would ignore it, so every
    /// resource type would match several oneOf branches); write both as their draft-04 equivalents.
    /// </summary>
    private static void Draft07ToNJsonSchema(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            if (obj["const"] is { } constant)
            {
                obj.Remove("const");
                obj["enum"] = new JsonArray(constant.DeepClone());
            }

            if (obj["properties"] is JsonObject properties)
            {
                foreach (var (name, value) in properties.ToList())
                {
                    if (value is JsonValue flag && flag.TryGetValue<bool>(out var allowed))
                    {
                        properties[name] = allowed ? new JsonObject() : new JsonObject { ["not"] = new JsonObject() };
                    }
                }
            }

            foreach (var (_, child) in obj.ToList())
            {
                if (child is not null)
                {
                    Draft07ToNJsonSchema(child);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array.Where(c => c is not null))
            {
                Draft07ToNJsonSchema(child!);
            }
        }
    }

    [Fact]
    public async Task The_manifest_is_valid_against_Aspires_schema()
    {
        var (text, _, _) = await PublishAsync();

        var errors = (await AspireSchemaAsync()).Validate(text);

        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
    }

    [Fact]
    public async Task The_schema_check_is_real_a_broken_manifest_fails_it()
    {
        var (text, _, _) = await PublishAsync();
        var broken = JsonNode.Parse(text)!;
        broken["resources"]!["kafka"]!.AsObject().Remove("image");

        Assert.NotEmpty((await AspireSchemaAsync()).Validate(broken.ToJsonString()));
    }

    [Fact]
    public async Task Every_deployable_resource_is_there_with_its_type_references_and_connection_strings_and_only_types_azd_accepts()
    {
        var (_, resources, _) = await PublishAsync();

        string Type(string name) => resources[name]?["type"]?.GetValue<string>() ?? $"{name} missing";
        Assert.All(["zookeeper", "kafka", "schema-registry", "control-center", "postgres", "spark-master", "spark-worker-1", "spark-worker-2", "spark", "mongodb", "kafka-init"],
            r => Assert.Equal("container.v0", Type(r)));
        Assert.Equal("container.v1", Type("airflow")); // built from docker/airflow, with the DAGs in the image: no bind mount
        Assert.Equal("Dockerfile", Path.GetFileName(resources["airflow"]!["build"]!["dockerfile"]!.GetValue<string>()));
        Assert.All(["ingest", "sparkjob", "processor", "console"], r => Assert.Equal("project.v0", Type(r)));
        Assert.All(["coingecko", "cryptoetl-db", "airflow-db", "market-db"], r => Assert.Equal("value.v0", Type(r)));
        string[] parameters = ["postgres-password", "coingecko-api-key", "coingecko-plan", "mongodb-username", "mongodb-password", "mongodb-replica-key", "airflow-admin-password"];
        Assert.All(parameters, r => Assert.Equal("parameter.v0", Type(r)));
        // azd takes project, container, parameter and value resources; nothing run-only (executables, the embedded
        // stand-ins) is published. kafka-init is: without it a deployment would have no topics.
        Assert.All(resources, r => Assert.Contains(r.Value!["type"]!.GetValue<string>(), (string[])["project.v0", "container.v0", "container.v1", "parameter.v0", "value.v0"]));
        Assert.Equal(27, resources.Count);
        Assert.Contains("--if-not-exists", resources["kafka-init"]!["args"]!.AsArray()[1]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(resources, r => Assert.Null(r.Value!["bindMounts"]));
        Assert.All(["postgres-password", "mongodb-password", "mongodb-replica-key", "airflow-admin-password"],
            p => Assert.True(resources[p]!["inputs"]!["value"]!["secret"]!.GetValue<bool>()));

        var ingest = resources["ingest"]!;
        Assert.Equal("{kafka.connectionString}", ingest["env"]!["ConnectionStrings__kafka"]!.GetValue<string>());
        Assert.Equal("Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Database=cryptoetl", ingest["env"]!["ConnectionStrings__postgres"]!.GetValue<string>());
        Assert.Equal("{postgres-password.value}", ingest["env"]!["Postgres__Password"]!.GetValue<string>());
        Assert.Equal("{coingecko.connectionString}", ingest["env"]!["ConnectionStrings__coingecko"]!.GetValue<string>());
        Assert.Null(ingest["env"]!["POSTGRES_PASSWORD"]); // references inject connection strings only
        Assert.Contains("{postgres-password.value}", resources["postgres"]!["connectionString"]!.GetValue<string>(), StringComparison.Ordinal);
        // Deployed, every Kafka client is a container: the connection string is the in-network listener.
        Assert.Equal("{kafka.bindings.internal.host}:{kafka.bindings.internal.port}", resources["kafka"]!["connectionString"]!.GetValue<string>());
        Assert.Equal("sc://{spark.bindings.grpc.host}:{spark.bindings.grpc.port}", resources["spark"]!["connectionString"]!.GetValue<string>());
        Assert.Equal("{spark.connectionString}", resources["sparkjob"]!["env"]!["ConnectionStrings__spark"]!.GetValue<string>());
        Assert.Equal("{ingest.bindings.http.url}", resources["airflow"]!["env"]!["services__ingest__http__0"]!.GetValue<string>());
        Assert.Equal("{market-db.connectionString}", resources["processor"]!["env"]!["ConnectionStrings__mongodb"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_manifest_matches_its_golden_file()
    {
        var (_, resources, directory) = await PublishAsync();

        // Project and build paths are relative to where the manifest is written (as azd reads them), so they
        // depend on where the repository is checked out: check that each leads somewhere, then compare from the root.
        string FromRoot(string relative)
        {
            var full = Path.GetFullPath(Path.Combine(directory, relative));
            Assert.True(File.Exists(full) || Directory.Exists(full), $"{relative} does not lead anywhere from {directory}");
            return Path.GetRelativePath(RepositoryPaths.Root, full).Replace('\\', '/');
        }

        foreach (var (_, resource) in resources)
        {
            if (resource!["path"] is JsonValue path)
            {
                resource["path"] = FromRoot(path.GetValue<string>());
            }

            if (resource["build"] is JsonObject build)
            {
                build["context"] = FromRoot(build["context"]!.GetValue<string>());
                build["dockerfile"] = FromRoot(build["dockerfile"]!.GetValue<string>());
            }
        }

        var actual = new JsonObject { ["resources"] = resources.DeepClone() }.ToJsonString(new() { WriteIndented = true }) + "\n";
        var golden = Path.Combine(RepositoryPaths.Root, "tests", "CryptoEtl.AppHost.Tests", "Publishing", "aspire-manifest.golden.json");
        if (Environment.GetEnvironmentVariable(UpdateGolden) == "1")
        {
            await File.WriteAllTextAsync(golden, actual, Cancel);
        }

        Assert.True(File.Exists(golden) && await File.ReadAllTextAsync(golden, Cancel) == actual,
            $"The manifest differs from {golden}. If the change is intended, run the tests with {UpdateGolden}=1 and commit the file.");
    }
}
