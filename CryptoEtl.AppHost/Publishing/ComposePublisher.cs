#pragma warning disable ASPIREPIPELINES001 // Aspire's pipeline steps are how publishers plug in; they are marked experimental in 13.6.

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.Options;

namespace CryptoEtl.AppHost.Publishing;

/// <summary>
/// The <c>publish-compose</c> step: writes docker/docker-compose.yml from the Aspire model (Aspire's own Docker Compose
/// integration is not served here), with every container and project resource as a service on one network, addressed
/// by name; docker/.env.example for the parameters (secrets stay out of the compose file); the .NET services'
/// Dockerfile; and PostgreSQL's init script that creates the model's databases. The committed files are the
/// generated ones; a test fails when they drift.
/// </summary>
public static partial class ComposePublisher
{
    public const string StepName = "publish-compose";
    public const string ProjectPort = "8080";
    public const string DashboardService = "aspire-dashboard";

    /// <summary><c>dotnet run --project CryptoEtl.AppHost -- --operation publish --step publish-compose --output-path docker</c>.</summary>
    /// <remarks>Paths in the file (bind mounts, the build context) are relative to the repository's docker directory, where compose reads it.</remarks>
    public static void AddComposePublishing(this IDistributedApplicationBuilder builder) =>
        builder.Pipeline.AddStep(StepName, async context =>
        {
            var output = context.Services.GetRequiredService<IOptions<PipelineOptions>>().Value.OutputPath
                ?? throw new DistributedApplicationException("publish-compose needs --output-path <directory> (the repository's is docker).");
            var composeDirectory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "docker"));
            foreach (var (path, content) in await FilesAsync(context.Model, context.ExecutionContext, composeDirectory))
            {
                var target = Path.Combine(output, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await File.WriteAllTextAsync(target, content, context.CancellationToken);
                context.Logger.LogInformation("Wrote {File}", Path.GetFullPath(target));
            }
        });

    /// <summary>Every generated file, path relative to the output directory.</summary>
    public static async Task<IReadOnlyList<(string Path, string Content)>> FilesAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, string composeDirectory)
    {
        var databases = model.Resources.OfType<PostgresDatabaseResource>().ToList();
        return
        [
            ("docker-compose.yml", await ComposeAsync(model, executionContext, composeDirectory)),
            (".env.example", EnvExample(model)),
            ("Dockerfile", Dockerfile),
            (Path.Combine("postgres", "init", "01-databases.sql"),
                "-- The databases of the postgres resource (Aspire creates them itself when it runs the containers).\n"
                + string.Concat(databases.Select(d => $"CREATE DATABASE \"{d.DatabaseName}\";\n"))),
        ];
    }

    private static async Task<string> ComposeAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, string composeDirectory)
    {
        var addressing = new ComposeAddressing(model);
        var yaml = new StringBuilder()
            .AppendLine("# Generated from the Aspire model by `dotnet run --project CryptoEtl.AppHost -- --operation publish --step publish-compose --output-path docker`; do not edit by hand.")
            .AppendLine("# Secrets come from docker/.env (copy .env.example). Start: docker compose -p cryptoetl -f docker/docker-compose.yml --env-file docker/.env up --build")
            .AppendLine("services:");
        var volumes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var resource in model.Resources.Where(IsService))
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  {resource.Name}:");
            var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var mounts = new List<string>();
            if (resource is ProjectResource project)
            {
                var directory = Path.GetFileNameWithoutExtension(project.GetProjectMetadata().ProjectPath);
                yaml.AppendLine("    build:").AppendLine("      context: ..").AppendLine("      dockerfile: docker/Dockerfile")
                    .AppendLine("      args:").AppendLine(CultureInfo.InvariantCulture, $"        PROJECT: {directory}")
                    .AppendLine(CultureInfo.InvariantCulture, $"    image: cryptoetl/{resource.Name}:latest");
                // Each service listens on 8080, keeps its files on a volume and sends its telemetry to the dashboard.
                environment["HTTP_PORTS"] = ProjectPort;
                environment["StateDir"] = "/data";
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://{DashboardService}:18889";
                environment["OTEL_SERVICE_NAME"] = resource.Name;
                mounts.Add($"cryptoetl-{resource.Name}:/data");
                volumes.Add($"cryptoetl-{resource.Name}");
            }
            else
            {
                var image = resource.Annotations.OfType<ContainerImageAnnotation>().Last();
                yaml.AppendLine(CultureInfo.InvariantCulture, $"    image: {(image.Registry is { Length: > 0 } registry ? $"{registry}/" : "")}{image.Image}:{image.Tag}");
            }

            // The arguments and environment as Aspire's manifest has them ({kafka.connectionString}, ...), then resolved for compose.
            var configuration = await ExecutionConfigurationBuilder.Create(resource).WithArgumentsConfig().WithEnvironmentVariablesConfig().BuildAsync(executionContext);
            if (configuration.Exception is { } problem)
            {
                throw new DistributedApplicationException($"Compose cannot read {resource.Name}'s configuration: {problem.Message}", problem);
            }

            if (configuration.ArgumentsWithUnprocessed.Select(a => Manifest(a.Unprocessed, a.Processed)).ToList() is { Count: > 0 } args)
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"    command: [{string.Join(", ", args.Select(a => Quote(addressing.Resolve(a))))}]");
            }

            foreach (var (name, (unprocessed, processed)) in configuration.EnvironmentVariablesWithUnprocessed)
            {
                environment[name] = addressing.Resolve(Manifest(unprocessed, processed));
            }

            Section(yaml, "environment", environment.Select(e => $"{e.Key}: {Quote(e.Value)}"));
            Section(yaml, "ports", addressing.PublishedPorts(resource).Select(p => $"- \"{p}\""));

            foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
            {
                if (mount.Type == ContainerMountType.Volume)
                {
                    volumes.Add(mount.Source!);
                    mounts.Add($"{mount.Source}:{mount.Target}");
                }
                else
                {
                    mounts.Add($"./{Path.GetRelativePath(composeDirectory, mount.Source!).Replace('\\', '/')}:{mount.Target}{(mount.IsReadOnly ? ":ro" : "")}");
                }
            }

            if (resource is PostgresServerResource)
            {
                mounts.Add("./postgres/init:/docker-entrypoint-initdb.d:ro");
            }

            Section(yaml, "volumes", mounts.Select(m => $"- {Quote(m)}"));
            Section(yaml, "depends_on", resource.Annotations.OfType<WaitAnnotation>().Select(w => ServiceOf(w.Resource)).OfType<string>()
                .Where(s => s != resource.Name).Distinct().Select(s => $"- {s}"));
            yaml.AppendLine("    restart: unless-stopped");
        }

        // Aspire's dashboard for the services' logs, traces and metrics, as Aspire's own compose publisher adds it.
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  {DashboardService}:")
            .AppendLine("    image: mcr.microsoft.com/dotnet/aspire-dashboard:9.0")
            .AppendLine("    environment:")
            .AppendLine("      DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS: \"true\"")
            .AppendLine("    ports:")
            .AppendLine("      - \"18888:18888\"")
            .AppendLine("      - \"18889:18889\"")
            .AppendLine("    restart: unless-stopped");

        yaml.AppendLine("volumes:");
        foreach (var volume in volumes)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  {volume}: {{}}");
        }

        return yaml.ToString();
    }

    private static string EnvExample(DistributedApplicationModel model)
    {
        var text = new StringBuilder("# Copy to docker/.env and fill in. Never commit docker/.env.\n");
        foreach (var parameter in model.Resources.OfType<ParameterResource>())
        {
            var value = ComposeAddressing.DefaultOf(parameter);
            text.AppendLine(CultureInfo.InvariantCulture, $"# {parameter.Name}{(parameter.Secret ? " (secret)" : "")}{(value is null && !parameter.MayBeEmptyWhenDeployed() ? ", required" : "")}")
                .AppendLine(CultureInfo.InvariantCulture, $"{ComposeAddressing.VariableName(parameter)}={value}");
        }

        return text.ToString();
    }

    private static string Manifest(object unprocessed, string processed) => unprocessed is IManifestExpressionProvider expression ? expression.ValueExpression : processed;

    private static bool IsService(IResource resource) => resource is ProjectResource || resource.TryGetLastAnnotation<ContainerImageAnnotation>(out _);

    /// <summary>The compose service that realises a resource: itself, or the server a database belongs to.</summary>
    private static string? ServiceOf(IResource resource) => resource switch
    {
        _ when IsService(resource) => resource.Name,
        IResourceWithParent { Parent: var parent } => ServiceOf(parent),
        _ => null,
    };

    private static void Section(StringBuilder yaml, string name, IEnumerable<string> lines)
    {
        var items = lines.ToList();
        if (items.Count == 0)
        {
            return;
        }

        yaml.AppendLine(CultureInfo.InvariantCulture, $"    {name}:");
        foreach (var item in items)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"      {item}");
        }
    }

    /// <summary>YAML double-quoted scalar; compose reads ${VAR} inside it.</summary>
    private static string Quote(string value) => $"\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    private const string Dockerfile = """
        # Generated by the publish-compose step of CryptoEtl.AppHost: one image per .NET service (build arg PROJECT).
        FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
        ARG PROJECT
        WORKDIR /src
        COPY . .
        RUN dotnet publish "$PROJECT/$PROJECT.csproj" -c Release -o /app

        FROM mcr.microsoft.com/dotnet/aspnet:10.0
        ARG PROJECT
        ENV PROJECT=$PROJECT
        WORKDIR /app
        COPY --from=build /app .
        EXPOSE 8080
        ENTRYPOINT ["sh", "-c", "exec dotnet /app/$PROJECT.dll \"$@\"", "--"]

        """;
}

/// <summary>
/// Resolves the manifest expressions Aspire gives in publish mode ({kafka.connectionString},
/// {ingest.bindings.http.url}, {postgres-password.value}) for compose: a resource is reached at its service name and
/// its endpoints' target ports; a parameter is a variable of docker/.env.
/// </summary>
internal sealed partial class ComposeAddressing(DistributedApplicationModel model)
{
    public string Resolve(string expression) => Placeholder().Replace(expression, m => Lookup(m.Groups[1].Value, m.Groups[2].Value)
        ?? throw new DistributedApplicationException($"Compose cannot resolve '{m.Value}' in '{expression}'."));

    /// <summary>host:target for every endpoint with a fixed host port.</summary>
    public IEnumerable<string> PublishedPorts(IResource resource) => resource.Annotations.OfType<EndpointAnnotation>()
        .Where(e => e.Port is not null).Select(e => $"{e.Port}:{TargetPort(resource, e)}");

    /// <summary>The environment-variable name compose and .env use for a parameter: postgres-password -> POSTGRES_PASSWORD.</summary>
    public static string VariableName(ParameterResource parameter) => parameter.Name.Replace('-', '_').ToUpperInvariant();

    /// <summary>The value a deployment gets when it supplies none; null when it must supply one.</summary>
    public static string? DefaultOf(ParameterResource parameter) => parameter.Default?.GetDefaultValue();

    private string? Lookup(string name, string property)
    {
        var resource = model.Resources.FirstOrDefault(r => r.Name == name);
        return (resource, property.Split('.')) switch
        {
            (IResourceWithConnectionString withConnectionString, ["connectionString"]) => Resolve(withConnectionString.ConnectionStringExpression.ValueExpression),
            (ParameterResource parameter, ["value"]) => DefaultOf(parameter) is { } value ? $"${{{VariableName(parameter)}:-{value}}}"
                : parameter.MayBeEmptyWhenDeployed() ? $"${{{VariableName(parameter)}:-}}"
                : $"${{{VariableName(parameter)}:?set {VariableName(parameter)} in docker/.env}}",
            ({ } owner, ["bindings", var endpoint, var what]) when owner.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == endpoint) is { } binding =>
                Binding(owner, binding, what),
            _ => null,
        };
    }

    private static string? Binding(IResource resource, EndpointAnnotation endpoint, string property)
    {
        var port = TargetPort(resource, endpoint);
        return property switch
        {
            "url" => $"{endpoint.UriScheme}://{resource.Name}:{port}",
            "host" or "ipv4Host" => resource.Name,
            "port" or "targetPort" => port,
            "hostAndPort" => $"{resource.Name}:{port}",
            "scheme" => endpoint.UriScheme,
            _ => null,
        };
    }

    /// <summary>Where the endpoint listens inside its container; a .NET service listens on 8080.</summary>
    private static string TargetPort(IResource resource, EndpointAnnotation endpoint) =>
        endpoint.TargetPort?.ToString(CultureInfo.InvariantCulture) ?? (resource is ProjectResource ? ComposePublisher.ProjectPort
            : throw new DistributedApplicationException($"{resource.Name}'s endpoint '{endpoint.Name}' has no target port for compose."));

    [GeneratedRegex(@"\{([a-z0-9-]+)\.([a-zA-Z0-9.]+)\}")]
    private static partial Regex Placeholder();
}

/// <summary>A parameter a deployment may leave empty, such as an API key the free plan does not need (compose: <c>${VAR:-}</c>).</summary>
public sealed class MayBeEmptyAnnotation : IResourceAnnotation;

public static class MayBeEmptyExtensions
{
    public static IResourceBuilder<ParameterResource> MayBeEmpty(this IResourceBuilder<ParameterResource> parameter) => parameter.WithAnnotation(new MayBeEmptyAnnotation());

    public static bool MayBeEmptyWhenDeployed(this ParameterResource parameter) => parameter.TryGetLastAnnotation<MayBeEmptyAnnotation>(out _);
}
