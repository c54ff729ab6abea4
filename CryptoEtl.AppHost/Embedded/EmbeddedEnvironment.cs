using System.Globalization;
using CryptoEtl.AppHost.Model;

namespace CryptoEtl.AppHost.Embedded;

/// <summary>
/// Resolves the model's environment templates for the embedded run: each resource's value as the embedded run realises
/// it (the in-process broker, registry and simulator, the child processes' URLs, connection strings the user gave for a
/// real PostgreSQL or MongoDB). A variable whose template names something the embedded run does not have is left out.
/// </summary>
public sealed class EmbeddedEnvironment(IReadOnlyList<Resource> resources, IConfiguration userSettings)
{
    private readonly Dictionary<string, string> _connectionStrings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Uri> _urls = new(StringComparer.Ordinal);

    public void SetConnectionString(string resource, string value) => _connectionStrings[resource] = value;

    public void SetUrl(string resource, Uri url) => _urls[resource] = url;

    public Uri UrlOf(string resource) => _urls[resource];

    public string? ConnectionString(string resource) =>
        _connectionStrings.TryGetValue(resource, out var value) ? value : userSettings.GetConnectionString(resource) is { Length: > 0 } given ? given : null;

    /// <summary>The environment of one child process.</summary>
    public Dictionary<string, string> For(Resource resource, string stateDirectory)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, template) in resource.Environment)
        {
            if (Expressions.Resolve(template, Lookup) is { } value)
            {
                environment[name] = value;
            }
        }

        environment["StateDir"] = Path.Combine(stateDirectory, resource.Name);
        environment["ASPNETCORE_URLS"] = _urls[resource.Name].ToString().TrimEnd('/');
        environment["OTEL_SERVICE_NAME"] = resource.Name;
        if (userSettings["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } otlp)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
        }

        // The embedded broker: rejoin quickly after a restart, and do not wait long for data in a fetch.
        environment["Kafka__Consumer__session.timeout.ms"] = "10000";
        environment["Kafka__Consumer__fetch.wait.max.ms"] = "100";
        return environment;
    }

    private string? Lookup(string resource, string property)
    {
        if (property == "connectionString")
        {
            return ConnectionString(resource);
        }

        if (property == "value")
        {
            // Aspire's convention for parameters: Parameters__<name> (or the environment variable in .env.example).
            return userSettings[$"Parameters:{resource}"] ?? userSettings[resource.Replace('-', '_').ToUpperInvariant()];
        }

        var parts = property.Split('.');
        if (parts is ["bindings", var endpoint, var what] && _urls.TryGetValue(resource, out var url)
            && resources.FirstOrDefault(r => r.Name == resource)?.Endpoints.FirstOrDefault(e => e.Name == endpoint) is { } binding)
        {
            return Expressions.Binding(binding, what, url.Host, url.Port);
        }

        return null;
    }

    /// <summary>A free loopback port (released right away: the child binds it a moment later).</summary>
    public static Uri FreeLocalUrl()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
    }
}
