using System.Text.Json;
using System.Text.Json.Nodes;
using CryptoEtl.AppHost.Model;

namespace CryptoEtl.AppHost.Publishing;

/// <summary>
/// Writes the model as an Aspire manifest (https://json.schemastore.org/aspire-8.0.json), the format azd deploys from:
/// container.v0 for infrastructure, project.v0 for the .NET services, value.v0 for external connection strings and
/// parameter.v0 for secrets, with env, bindings and connection strings as expressions.
/// </summary>
public static class ManifestPublisher
{
    public const string SchemaUrl = "https://json.schemastore.org/aspire-8.0.json";

    public static int Publish(IReadOnlyList<Resource> resources, string? outputPath)
    {
        if (string.IsNullOrWhiteSpace(outputPath))
        {
            Console.Error.WriteLine("--publisher manifest needs --output-path <file>.");
            return 2;
        }

        // Like Aspire: a path that is not a .json file is a directory to hold aspire-manifest.json.
        var file = outputPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? outputPath : Path.Combine(outputPath, "aspire-manifest.json");
        var full = Path.GetFullPath(file);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, Manifest(resources, Path.GetDirectoryName(full)!).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {full}");
        return 0;
    }

    /// <param name="manifestDirectory">Project paths are written relative to it, as Aspire does.</param>
    public static JsonObject Manifest(IReadOnlyList<Resource> resources, string manifestDirectory)
    {
        var entries = new JsonObject();
        foreach (var resource in resources)
        {
            entries[resource.Name] = resource.Kind switch
            {
                ResourceKind.Container => Container(resource),
                ResourceKind.Project => Project(resource, manifestDirectory),
                ResourceKind.Value => new JsonObject { ["type"] = "value.v0", ["connectionString"] = resource.ConnectionString },
                _ => Parameter(resource),
            };
        }

        return new JsonObject { ["$schema"] = SchemaUrl, ["resources"] = entries };
    }

    private static JsonObject Container(Resource resource)
    {
        var entry = new JsonObject { ["type"] = "container.v0", ["image"] = resource.ImageReference };
        if (resource.ConnectionString is { } connectionString)
        {
            entry["connectionString"] = connectionString;
        }

        if (resource.Args.Count > 0)
        {
            entry["args"] = new JsonArray([.. resource.Args.Select(a => (JsonNode)a)]);
        }

        if (resource.Volumes.Count > 0)
        {
            entry["volumes"] = new JsonArray([.. resource.Volumes.Select(v => (JsonNode)new JsonObject { ["name"] = v.Name, ["target"] = v.Target, ["readOnly"] = false })]);
        }

        if (resource.BindMounts.Count > 0)
        {
            entry["bindMounts"] = new JsonArray([.. resource.BindMounts.Select(b => (JsonNode)new JsonObject
            {
                ["source"] = Path.Combine("docker", b.Source.TrimStart('.', '/')).Replace('\\', '/'), ["target"] = b.Target, ["readOnly"] = b.ReadOnly,
            })]);
        }

        AddEnvironmentAndBindings(entry, resource.Environment, resource);
        return entry;
    }

    private static JsonObject Project(Resource resource, string manifestDirectory)
    {
        var repository = FindRepository();
        var path = Path.GetRelativePath(manifestDirectory, Path.Combine(repository, resource.Project!, $"{resource.Project}.csproj")).Replace('\\', '/');
        var entry = new JsonObject { ["type"] = "project.v0", ["path"] = path };
        if (resource.Args.Count > 0)
        {
            entry["args"] = new JsonArray([.. resource.Args.Select(a => (JsonNode)a)]);
        }

        var environment = new SortedDictionary<string, string>(resource.Environment, StringComparer.Ordinal)
        {
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = "true",
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = "true",
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory",
            ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
            ["HTTP_PORTS"] = $"{{{resource.Name}.bindings.http.targetPort}}",
        };
        AddEnvironmentAndBindings(entry, environment, resource);
        return entry;
    }

    private static JsonObject Parameter(Resource resource)
    {
        var input = new JsonObject { ["type"] = "string", ["secret"] = resource.Secret };
        if (resource.Default is { } value)
        {
            input["default"] = new JsonObject { ["value"] = value };
        }

        return new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{resource.Name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        };
    }

    private static void AddEnvironmentAndBindings(JsonObject entry, IDictionary<string, string> environment, Resource resource)
    {
        if (environment.Count > 0)
        {
            var env = new JsonObject();
            foreach (var (name, value) in environment)
            {
                env[name] = value;
            }

            entry["env"] = env;
        }

        if (resource.Endpoints.Count > 0)
        {
            var bindings = new JsonObject();
            foreach (var endpoint in resource.Endpoints)
            {
                var binding = new JsonObject
                {
                    ["scheme"] = endpoint.Scheme,
                    ["protocol"] = "tcp",
                    ["transport"] = endpoint.Scheme == "tcp" ? "tcp" : "http",
                    ["targetPort"] = endpoint.TargetPort,
                };
                if (endpoint.HostPort is { } port && port != endpoint.TargetPort)
                {
                    binding["port"] = port;
                }

                if (resource.Kind == ResourceKind.Project || endpoint.Name is "ui")
                {
                    binding["external"] = true;
                }

                bindings[endpoint.Name] = binding;
            }

            entry["bindings"] = bindings;
        }
    }

    /// <summary>The repository root: the directory holding CryptoEtl.sln, looked for upwards from here and from the app.</summary>
    public static string FindRepository()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "CryptoEtl.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("Run the publisher from inside the CryptoEtl repository (no CryptoEtl.sln found above the current directory).");
    }
}
